import PolicySyntax

// At the prompt, most entries only add to the session: a `let`, a `param`, an expression, a
// query. Checking the whole session again for each would make every entry cost as much as
// all the entries before it. A continued check goes on from the checker of the program
// before: its names, types and declarations stand, and only the entry is checked.

extension Checker {
    /// What a continued check starts from.
    struct Continuation {
        /// How many lets, params and decisions the earlier program had: the ones after are new.
        var lets: Int
        var params: Int
        var decisions: Int
        /// The statements checked before, by unit.
        var statementsByUnit: [[CheckedStatement]]

        func isNew(_ node: DefNode) -> Bool {
            switch node {
            case .letDef(let l): return l >= lets
            case .param(let p): return p >= params
            case .decision(let d): return d >= decisions
            }
        }
    }

    /// Whether `statements` can be checked by continuing an earlier checker: they declare
    /// nothing but top-level lets and params, and change no type, jurisdiction, agency,
    /// decision, policy, event, reaction, population or scenario.
    public static func canContinue(with statements: [Statement]) -> Bool {
        statements.allSatisfy { s in
            switch s.kind {
            case .let, .param, .expression, .explain, .timeline, .status, .table, .compare, .plot, .decompose, .sample,
                 .test, .assert:
                return true
            case .enumDecl, .record, .attributes, .jurisdiction, .jurisdictionsFrom, .agency, .decision, .policy, .event,
                 .reaction, .population, .scenario, .cancel, .include:
                return false
            }
        }
    }

    /// A checker that goes on from `earlier`, whose check succeeded: `check` then checks only
    /// the units it is given, over a program that starts as a copy of `earlier`'s, and returns
    /// a result for the whole. `earlier` and its program are not changed, so an entry that
    /// fails leaves the session as it was. Give it only what `canContinue` accepts.
    ///
    /// ```swift
    /// let next = Checker(continuing: checker)
    /// let result = next.check([entry])   // the earlier units and the entry
    /// ```
    public convenience init(continuing earlier: Checker) {
        self.init(provider: earlier.provider, program: Program(continuing: earlier.program))
        // The names and what they stand for, carried over.
        globals = earlier.globals
        globalSources = earlier.globalSources
        scenarioNames = earlier.scenarioNames
        scenarioDeclared = earlier.scenarioDeclared
        types = earlier.types
        typeSources = earlier.typeSources
        letTypeState = earlier.letTypeState
        edges = earlier.edges
        included = earlier.included
        attributeEvals = earlier.attributeEvals
        declarationHashes = earlier.declarationHashes
        // Everything pending, cached or counted starts empty, as in a new checker: the
        // earlier checker's work on them is done.
        continuation = Continuation(lets: earlier.program.lets.count, params: earlier.program.params.count,
                                    decisions: earlier.program.decisions.count, statementsByUnit: earlier.checkedStatements)
    }

    /// The names of the stored properties `init(continuing:)` carries over, and of those it
    /// leaves as a new checker has them (a test checks that together they are all of them).
    static let carriedProperties: Set<String> = [
        "globals", "globalSources", "scenarioNames", "scenarioDeclared", "types", "typeSources", "letTypeState",
        "edges", "included", "attributeEvals", "declarationHashes", "continuation", "provider", "program",
    ]
    static let freshProperties: Set<String> = [
        "timelineSource", "diagnostics", "omittedErrors", "maxDiagnostics", "pendingLets", "pendingParams",
        "pendingDecisions", "pendingPolicies", "pendingEvents", "pendingReactions", "pendingPopulations",
        "$__lazy_storage_$_scratchWorld", "unreadableInput", "paramsChecked", "firstPendingLet", "visibleCache",
        "pendingAttributeValues", "depsStack", "recordDefaultASTs", "interrupted", "suggestionsMade",
        "checkedStatements", "expressionsChecked",
    ]
}

extension Program {
    /// A copy of `earlier`'s declarations and code, for a continued check to add to. Worlds,
    /// fingerprints, caches and what the program built are not copied: the check makes them.
    convenience init(continuing earlier: Program) {
        self.init()
        files = earlier.files
        enums = earlier.enums
        records = earlier.records
        jurisdictions = earlier.jurisdictions
        attributes = earlier.attributes
        agencies = earlier.agencies
        params = earlier.params
        lets = earlier.lets
        decisions = earlier.decisions
        policies = earlier.policies
        events = earlier.events
        reactions = earlier.reactions
        populations = earlier.populations
        scenarios = earlier.scenarios
        caseFields = earlier.caseFields
        letCode = earlier.letCode
        ruleCode = earlier.ruleCode
        cascadeLimit = earlier.cascadeLimit
        firingLimit = earlier.firingLimit
        provider = earlier.provider
        attributeEvaluations = earlier.attributeEvaluations
        resolver = earlier.resolver
        timelineDeps = earlier.timelineDeps
        cancellation = earlier.cancellation
        tally = earlier.tally
    }

    /// The stored properties `init(continuing:)` copies, and those it leaves new (a test
    /// checks that together they are all of them).
    static let continuedProperties: Set<String> = [
        "files", "enums", "records", "jurisdictions", "attributes", "agencies", "params", "lets", "decisions",
        "policies", "events", "reactions", "populations", "scenarios", "caseFields", "letCode", "ruleCode",
        "cascadeLimit", "firingLimit", "provider", "attributeEvaluations", "resolver", "timelineDeps", "cancellation",
        "tally",
    ]
    static let freshProperties: Set<String> = ["worlds", "populationCache", "worldFingerprints", "answerCache", "builtHere"]
}
