// libFuzzer target (b): parser + checker. Any input must parse and check (or be refused with
// diagnostics, all of which render) without a crash, a trap or a hang.
// Built by Fuzz/run.sh with the PolicySyntax and PolicyCore sources; not part of the package.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let provider = MemoryProvider(["inc.policy": Array("let included = 1\n".utf8)])
    _ = withLargeStack { fuzzCheck(bytes, provider: provider) }
    return 0
}
