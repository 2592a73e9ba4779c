#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySupport

/// Parses a big file in pieces, one core each, and joins them — or gives up, so the caller
/// parses the whole file in one go.
///
/// A file is cut only before a line that starts, at its first column and after a blank line,
/// with a word that begins a statement (`policy`, `event`, `test`, …) or a comment (`##` docs
/// above a declaration). Every token
/// is line-local (strings hold no raw newline, comments end at the line's end), so each
/// piece lexes exactly as it does in the whole file — provided the text before the cut
/// ends a statement. That is checked, not assumed: a piece counts only if it parsed with
/// no diagnostic at all and (but for the last) ended with no bracket open and no operator
/// carrying its last line on. Any piece that fails the check (a block still open at the cut,
/// an error anywhere) makes the whole parse fall back to the one-piece parser, so errors,
/// recovery and their messages are exactly those of a plain parse.
enum _PieceParse {
    /// The smallest piece: 512 KB, or what the engine options say (tests cut small files
    /// into many pieces with `POLICY_PARSE_PIECE_BYTES`).
    static var minimumPieceBytes: Int { EngineOptions.current.parsePieceBytes }

    /// One piece's result.
    struct _Piece {
        var statements: [Statement] = []
        var comments: [Comment] = []
        /// Parsed with no diagnostic and, but for the last piece, ended at a statement boundary.
        var clean = false
    }

    /// The parse of `file` from its pieces, or nil when it is small, cannot be cut, or a
    /// piece did not parse cleanly.
    static func parse(_ file: SourceFile) -> SourceUnit? {
        let workers = workerCount()
        let minimum = minimumPieceBytes
        guard workers > 1, file.bytes.count >= 2 * minimum else { return nil }
        // Several pieces per worker, handed out as workers finish: a core slowed down (by
        // another process, or by pieces that parse slower) takes fewer.
        let target = max(minimum, file.bytes.count / (4 * workers) + 1)
        let cuts = cutPoints(file, every: target)
        guard cuts.count > 2 else { return nil }
        let pieceCount = cuts.count - 1
        let results = UnsafeMutableBufferPointer<_Piece>.allocate(capacity: pieceCount)
        results.initialize(repeating: _Piece())
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let shared = _Results(results)
        // Workers take the next piece until none is left; each piece's slot is written by the
        // one worker that took it, and the join orders those writes before the reads below.
        runParallel(workers: min(workers, pieceCount), stackBytes: 1 << 30) { _ in
            while let k = shared.take(below: pieceCount) {
                shared.pieces[k] = parsePiece(file, cuts[k]..<cuts[k + 1], isLast: k == pieceCount - 1)
            }
        }
        guard results.allSatisfy(\.clean) else { return nil }
        var statements: [Statement] = []
        var comments: [Comment] = []
        statements.reserveCapacity(results.reduce(0) { $0 + $1.statements.count })
        comments.reserveCapacity(results.reduce(0) { $0 + $1.comments.count })
        for k in 0..<pieceCount {
            statements.append(contentsOf: results[k].statements)
            comments.append(contentsOf: results[k].comments)
        }
        return SourceUnit(file: file, statements: statements, comments: comments, diagnostics: [])
    }

    /// The slots the workers write, and the number of the next piece to take.
    final class _Results: @unchecked Sendable {
        let pieces: UnsafeMutableBufferPointer<_Piece>
        private var next = 0
        private let lock = Lock()
        init(_ pieces: UnsafeMutableBufferPointer<_Piece>) { self.pieces = pieces }

        /// The next piece's number, or nil when all `count` are taken.
        func take(below count: Int) -> Int? {
            lock.withLock {
                guard next < count else { return nil }
                next += 1
                return next - 1
            }
        }
    }

    static func parsePiece(_ file: SourceFile, _ range: Range<Int>, isLast: Bool) -> _Piece {
        var parser = Parser(file: file, range: range)
        let statements = parser.parseProgram()
        let clean = parser.diagnostics.isEmpty && parser.lexer.diagnostics.isEmpty
            && (isLast || parser.lexer.isAtStatementBoundary)
        guard clean else { return _Piece() }
        return _Piece(statements: statements, comments: parser.lexer.comments, clean: true)
    }

    /// Offsets where pieces start, with 0 first and the file's size last: the first place
    /// at or after each multiple of `every` where a piece may start (see the type's comment).
    static func cutPoints(_ file: SourceFile, every target: Int) -> [Int] {
        let bytes = file.bytes
        let n = bytes.count
        var cuts = [0]
        var from = target
        while from < n {
            guard let cut = nextCut(bytes, from: from) else { break }
            if n - cut < target / 2 { break } // a sliver at the end: leave it to the last piece
            cuts.append(cut)
            from = cut + target
        }
        cuts.append(n)
        return cuts
    }

    /// The first line start after `from` that may begin a piece.
    static func nextCut(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from
        let n = bytes.count
        while i < n {
            // The next line start: just after a newline.
            while i < n, bytes[i] != 0x0A { i += 1 }
            i += 1
            guard i < n else { return nil }
            if previousLineIsBlank(bytes, lineStart: i),
               bytes[i] == 0x23 || startsWithStatementWord(bytes, at: i) { return i }
        }
        return nil
    }

    /// The line that ends just before `lineStart` holds only blanks.
    static func previousLineIsBlank(_ bytes: UnsafeBufferPointer<UInt8>, lineStart: Int) -> Bool {
        var j = lineStart - 2 // before the newline that ends it
        while j >= 0, bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0D { j -= 1 }
        return j >= 0 && bytes[j] == 0x0A
    }

    /// The text at `i` is a word that only ever begins a statement, then a space.
    static func startsWithStatementWord(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        var j = i
        while j < bytes.count, j - i <= 16, Lexer.isIdentContinue(bytes[j]) { j += 1 }
        guard j > i, j < bytes.count, bytes[j] == 0x20 else { return false }
        let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<j]), as: UTF8.self)
        guard let kind = TokenKind.keyword(word) else { return false }
        return statementWords.contains(kind)
    }

    /// Words that begin a statement. (At the first column after a statement boundary a word
    /// begins a statement whatever it is — only `parseProgram` reads past a newline outside
    /// brackets — so this list is a choice of likely places, not what keeps a cut sound.)
    static let statementWords: Set<TokenKind> = [
        .kwEnum, .kwJurisdiction, .kwJurisdictions, .kwAgency, .kwRecord, .kwParam, .kwLet,
        .kwDecision, .kwPolicy, .kwEvent, .kwWhen, .kwScenario, .kwPopulation, .kwTest,
        .kwInclude, .kwExplain, .kwTimeline, .kwStatus, .kwTable, .kwCompare, .kwPlot, .kwAssert,
    ]
}
