import ArgumentParser
import PolicyShell
import PolicySupport
import PolicySyntax
#if canImport(Glibc)
import Glibc
#endif

struct GlobalOptions: ParsableArguments {
    @Flag(name: .customLong("no-color"), help: "Never colour the output (NO_COLOR does the same).")
    var noColor = false
    @Option(name: .customLong("limit"), help: ArgumentHelp(
        "Raise or lower a resource limit (repeatable).",
        discussion: Limits.settings.map { "\($0.name): \($0.meaning)" }.joined(separator: "; "),
        valueName: "name=N"))
    var limits: [String] = []

    /// Applies the limits before any file is read.
    func validate() throws {
        for text in limits {
            do { try Limits.current.set(text) } catch { throw ValidationError("\(error)") }
        }
    }
}

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Policy what-ifs: a small language for rules, events and scenarios.",
        discussion: """
            With no arguments, starts the interactive prompt. `policy FILE…` runs scripts.
            """,
        version: PolicyVersion.current,
        subcommands: [Repl.self, Run.self, Test.self, Check.self, Format.self, Demo.self, Plan.self, Merge.self, Bench.self, Lsp.self],
        defaultSubcommand: Repl.self
    )

    static let subcommandNames: Set<String> = ["run", "test", "check", "fmt", "bench", "repl", "demo", "plan", "merge", "lsp", "help"]

    /// `policy FILE…` means `policy run FILE…`.
    static func preprocess(_ args: [String]) -> [String] {
        guard let first = args.first, !first.hasPrefix("-"), !subcommandNames.contains(first) else { return args }
        return ["run"] + args
    }
}

func exitWith(_ code: PolicyShell.ExitCode) -> Never {
    exit(StandardOutput.exitCode(code).rawValue)
}

/// `--format table|csv|json`: the values and the message for another come from the enum.
extension OutputFormat: ExpressibleByArgument {}

/// Writes to stderr without Foundation, through the one write-all loop (partial writes, EINTR).
enum FileHandleless {
    static func writeError(_ text: String) {
        writeAll(2, text)
    }
}

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The interactive prompt, after loading FILE… (the default command).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "How tables are printed.")
    var format: OutputFormat = .table
    @Flag(help: "Be driven by a program: JSON requests on stdin, JSON replies on stdout (docs/repl-jsonl.md).")
    var jsonl = false
    @Argument(help: "Files whose definitions to load first.")
    var files: [String] = []

    func run() throws {
        if jsonl { exitWith(MachineREPL.serve(files: files, format: format)) }
        exitWith(Commands(console: .standard(noColor: global.noColor)).repl(files, format: format))
    }
}

struct Lsp: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A language server (LSP 3.17 over stdio) for editors: diagnostics, hover, definitions, completion, formatting, Run lenses.")

    func run() throws {
        exitWith(LanguageServer.serve())
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a script one step at a time: its ## narration, the statement, the result.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The script.")
    var file: String

    func run() throws {
        exitWith(Commands(console: .standard(noColor: global.noColor)).demo(file, format: .table))
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check FILE… as one program and run its statements in order (tests are skipped).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "How tables are printed.")
    var format: OutputFormat = .table
    @Option(help: ArgumentHelp("Run only shard K of N (1 ≤ K ≤ N) and write its result file to --out.", valueName: "K/N"))
    var shard: String?
    @Option(help: ArgumentHelp("How many shards, when K comes from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.", valueName: "N"))
    var shards: Int?
    @Option(help: ArgumentHelp("The folder for shard result files (then `policy merge DIR`).", valueName: "DIR"))
    var out: String?
    @Argument(help: "The .policy files to run.")
    var files: [String]

    func validate() throws {
        if out == nil, shard != nil || shards != nil {
            throw ValidationError("--shard and --shards need --out DIR, the folder for the shard's result file")
        }
    }

    func run() throws {
        let commands = Commands(console: .standard(noColor: global.noColor))
        guard let out else { exitWith(commands.run(files, format: format)) }
        var environment: [String: String] = [:]
        for name in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        switch ShardSpec.resolve(shard: shard, shards: shards, environment: environment) {
        case .failure(let problem):
            FileHandleless.writeError("error: \(problem)\n")
            exitWith(.usage)
        case .success(let spec):
            exitWith(commands.runShard(files, spec: spec, out: out, version: PolicyVersion.current))
        }
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a script's units of work, their estimated cost and the shard each goes to.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "How many shards to plan for.")
    var shards: Int = 1
    @Argument(help: "The .policy files to plan.")
    var files: [String]

    func run() throws {
        exitWith(Commands(console: .standard(noColor: global.noColor)).plan(files, shards: shards))
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that DIR holds every shard of one run and print what `policy run` prints.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "How tables are printed.")
    var format: OutputFormat = .table
    @Argument(help: "The folder the shards wrote to (--out).")
    var dir: String


    func run() throws {
        exitWith(Commands(console: .standard(noColor: global.noColor)).merge(dir, format: format,
                                                                             version: PolicyVersion.current))
    }
}

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the test blocks of each file (folders are searched for .policy files).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Files or folders.")
    var paths: [String]

    func run() throws {
        exitWith(Commands(console: .standard(noColor: global.noColor)).test(paths))
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and type-check files without running them; print every error.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print the syntax tree of each file that parses.")
    var dump = false
    @Argument(help: "The .policy files to check.")
    var files: [String]

    func run() throws {
        exitWith(Commands(console: .standard(noColor: global.noColor)).check(files, dump: dump))
    }
}

struct Format: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Format files in the canonical style (comments kept).")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Exit 1 and name the files that are not formatted; change nothing.")
    var check = false
    @Flag(help: "Rewrite the files in place (atomically).")
    var write = false
    @Argument(help: "The .policy files to format.")
    var files: [String]

    func validate() throws {
        if check && write { throw ValidationError("--check and --write cannot be used together") }
    }

    func run() throws {
        let mode: Commands.FormatMode = check ? .check : write ? .write : .print
        exitWith(Commands(console: .standard(noColor: global.noColor)).format(files, mode: mode))
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print its figures (use a release build).",
        discussion: """
            Workloads: parse — parse a generated program of --megabytes MB; w1 — 1,000,000 \
            bookings from CSV, four outcomes per year (--cases to change the size); w2 — \
            10,000,000 generated bookings of the Secure Communities model, two scenarios compared; \
            w3 — W2's compare, one scenario changed for one state, and the compare run again; \
            w4 — W1 with continuous fields (bail, age, days held), so no two cases share an answer; \
            w5 — W4's rules over 10,000,000 generated bookings with those fields, two scenarios compared; \
            engine — one decision's latency and checking a 5,000-line program; analysis — \
            replicates, a sweep and a decomposition on the Secure Communities model; shards — a \
            shard's fixed cost and the merge of 1,000 shard files.
            """)

    @Argument(help: "The workload: parse, engine, w1, w2, w3, w4, w5, analysis or shards.")
    var workload: String = "parse"
    @Option(help: "Size of the generated program, in MB.")
    var megabytes: Double = 10
    @Option(help: "Repetitions; the best is reported.")
    var repeats: Int = 3
    @Option(help: "Cases for the population workloads.")
    var cases: Int = 1_000_000
    @Option(help: "Where generated workload files are kept.")
    var dir: String = "/tmp/policy-bench"
    @Option(help: "parse: write the generated program to this file instead (to measure `policy check` on it).")
    var output: String?

    func run() throws {
        let console = Console.standard()
        switch workload {
        case "parse":
            if let output {
                let text = Benchmark.syntheticProgram(bytes: Int(megabytes * 1_000_000))
                if let reason = FileWriter.write(output, text) {
                    console.err(FileWriter.message(output, reason))
                    exitWith(.noInput)
                }
                console.out("wrote \(output) (\(text.utf8.count) bytes)\n")
                exitWith(.success)
            }
            exitWith(Benchmark.parse(megabytes: megabytes, repeats: repeats, console: console))
        case "w1":
            exitWith(Workloads.w1(dir: dir, cases: cases, console: console))
        case "w4":
            exitWith(Workloads.w4(dir: dir, cases: cases, console: console))
        case "w5":
            exitWith(Workloads.w5(dir: dir, cases: cases == 1_000_000 ? 10_000_000 : cases, console: console))
        case "engine":
            exitWith(Workloads.engine(console: console))
        case "w2":
            exitWith(Workloads.w2(dir: dir, cases: cases == 1_000_000 ? 10_000_000 : cases,
                                  model: "Examples/secure-communities/main.policy", console: console))
        case "shards":
            exitWith(Workloads.shards(dir: dir, model: "Examples/secure-communities/main.policy", console: console))
        case "analysis":
            exitWith(Workloads.analysis(dir: dir, model: "Examples/secure-communities/main.policy", console: console))
        case "w3":
            exitWith(Workloads.w3(dir: dir, cases: cases == 1_000_000 ? 10_000_000 : cases,
                                  model: "Examples/secure-communities/main.policy", console: console))
        default:
            console.err("error: unknown workload '\(workload)'; the workloads are: parse, engine, w1, w2, w3, w4, w5, analysis, shards\n")
            exitWith(.usage)
        }
    }
}
