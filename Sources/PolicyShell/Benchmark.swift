#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySyntax

/// `policy bench …`: workloads that print figures. Nothing here asserts a time; the
/// figures are for people (and for issue notes), measured on purpose.
public enum Benchmark {
    /// A synthetic program of about `bytes` bytes that uses most of the language: records,
    /// decisions, policies with guarded rules, events with effects, scenarios, tests.
    public static func syntheticProgram(bytes target: Int) -> String {
        var out = """
        ## A generated program for the parser benchmark.
        enum charge { violent_felony, serious_felony, felony, misdemeanor }
        jurisdiction attributes { circuit: string = "", admissions: int = 0, trust: number = 1.0 }
        jurisdiction usa: federal "United States"
        record booking {
          date: date
          jurisdiction: jurisdiction
          charge: charge = misdemeanor
          convicted: bool = false
          ident_match: bool = false
        }

        """
        out.reserveCapacity(target + 4096)
        var i = 0
        while out.utf8.count < target {
            let s = "s\(i % 50)", c = "c\(i)"
            out += """
            jurisdiction \(c): county in \(s == "s0" && i < 50 ? "usa" : "usa") "County \(i)" { admissions: \(1_000 + i * 7), trust: \(i % 100)% }
            ## Decision number \(i).
            decision d\(i)(b: booking): bool = b.ident_match and (b.charge <= felony or b.convicted) combine deny_overrides
            let score\(i)(b: booking): number = if b.convicted then 0.5 * \(i % 9 + 1) + 1.5e2 else -(\(i) / 3) - 12.5%
            policy p\(i)(j: jurisdiction) by j from 2010-01-01 until 2014-06-30 "Policy \(i)" {
              d\(i)(b) = score\(i)(b) > 3 and b.date >= 2011-09-07 + 30 days when b.charge in {felony, misdemeanor}
              d\(i)(b) = not (b.jurisdiction within usa) or b.date - 1 year < 2012-12-21
            }
            event e\(i) on 2012-0\(i % 9 + 1)-1\(i % 10) by usa "Event \(i)" {
              enact p\(i)(\(c)) from 2013-01-01
              for j in jurisdictions where j.trust < \(i % 90 + 5)% and j.admissions > 10_000 {
                after 30 days { set j.trust = j.trust - 5% }
              }
            }
            when j in jurisdictions where j.trust < 40% as collapse\(i) { enact p\(i)(j) }
            test "case \(i)" {
              let b = booking { jurisdiction: \(c), date: 2013-06-01, ident_match: true, charge: felony }
              assert d\(i)(b with { convicted: true }) == (score\(i)(b) >= 2) "decision \(i) holds"
            }


            """
            i += 1
        }
        return out
    }

    /// Parses a generated program of `megabytes` MB (best of `repeats`) and prints MB/s and
    /// peak memory.
    public static func parse(megabytes: Double, repeats: Int, console: Console) -> ExitCode {
        // The generated text is not kept: the file holds the one copy of its bytes.
        let file = SourceFile(name: "<bench>", text: syntheticProgram(bytes: Int(megabytes * 1_000_000)))
        let size = Double(file.bytes.count)
        let rssBefore = currentResidentBytes()
        var best = Double.infinity
        var statements = 0
        var diagnostics = 0
        var first = 0.0
        for round in 0..<max(1, repeats) {
            let t0 = monotonicSeconds()
            let unit = Parser.parse(file)
            let t1 = monotonicSeconds()
            if round == 0 { first = t1 - t0 }
            best = min(best, t1 - t0)
            statements = unit.statements.count
            diagnostics = unit.diagnostics.count
        }
        let peak = peakResidentBytes()
        var lexBest = Double.infinity
        var tokens = 0
        for _ in 0..<max(1, repeats) {
            let t0 = monotonicSeconds()
            var lexer = Lexer(file: file)
            tokens = 0
            while lexer.next().kind != .eof { tokens += 1 }
            lexBest = min(lexBest, monotonicSeconds() - t0)
        }
        console.out("""
        parse benchmark
          source            \(formatBytes(size)) (\(statements) statements, \(diagnostics) diagnostics)
          first parse       \(format3(first * 1000)) ms (\(format3(size / first / 1_000_000)) MB/s, fresh heap)
          best of \(repeats)         \(String(format3(best * 1000))) ms
          throughput        \(String(format3(size / best / 1_000_000))) MB/s
          lexing alone      \(format3(size / lexBest / 1_000_000)) MB/s (\(tokens) tokens)
          memory            parsing added \(formatBytes(Double(peak - rssBefore))) (\(format3(Double(peak - rssBefore) / size))× the source) to the \(formatBytes(Double(rssBefore))) the process held before (its code and the file); peak \(formatBytes(Double(peak)))

        """)
        return diagnostics == 0 ? .success : .dataError
    }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Peak resident set size of this process, in bytes.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF_VALUE, &usage)
        #if os(Linux)
        return usage.ru_maxrss * 1024
        #else
        return usage.ru_maxrss
        #endif
    }

    /// The memory the process holds now (`/proc/self/statm`; the peak where unavailable).
    public static func currentResidentBytes() -> Int {
        guard let f = fopen("/proc/self/statm", "r") else { return peakResidentBytes() }
        defer { fclose(f) }
        var size = 0, resident = 0
        guard fscanf2(f, &size, &resident) == 2 else { return peakResidentBytes() }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Reads two numbers (fscanf is variadic, so not callable from Swift).
    private static func fscanf2(_ f: UnsafeMutablePointer<FILE>, _ a: inout Int, _ b: inout Int) -> Int {
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), f) != nil else { return 0 }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let x = Int(fields[0]), let y = Int(fields[1]) else { return 0 }
        a = x
        b = y
        return 2
    }

    public static func format3(_ v: Double) -> String {
        let scaled = (v * 100).rounded() / 100
        return "\(scaled)"
    }

    public static func formatBytes(_ b: Double) -> String {
        if b >= 1_000_000 { return "\(format3(b / 1_000_000)) MB" }
        if b >= 1_000 { return "\(format3(b / 1_000)) kB" }
        return "\(Int(b)) B"
    }
}

#if os(Linux)
let RUSAGE_SELF_VALUE = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
let RUSAGE_SELF_VALUE = RUSAGE_SELF
#endif
