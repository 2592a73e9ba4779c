// libFuzzer target (a): lexer + parser (+ formatter round trip when the input parses).
// Built by Fuzz/run.sh with the PolicySyntax sources; not part of the SwiftPM package.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLexParse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let unit = withLargeStack { Parser.parse(SourceFile(name: "fuzz.policy", bytes: bytes)) }
    guard !unit.hasErrors else { return 0 }
    // A program that parses must format to text that parses to the same tree.
    let formatted = withLargeStack { Formatter.format(unit) }
    let again = withLargeStack { Parser.parse(SourceFile(name: "fuzz.policy", text: formatted)) }
    if again.hasErrors || again.dump != unit.dump {
        fatalError("fmt changed the tree:\n\(String(decoding: bytes, as: UTF8.self))\n---\n\(formatted)")
    }
    return 0
}
