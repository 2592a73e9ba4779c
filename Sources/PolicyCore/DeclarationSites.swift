import PolicySyntax

/// A name the program declares, what it is and where — for editors: go to definition, the
/// outline of a file, references.
///
///     let checker = Checker(provider: files)
///     _ = checker.check([unit])
///     checker.declarationSites.first { $0.name == "cook" }?.source.position   // "main.policy:4:13"
public struct DeclarationSite: Sendable {
    public var name: String
    /// `param`, `let`, `decision`, `jurisdiction`, `agency`, `population`, `scenario`,
    /// `policy`, `event`, `reaction`, `record` or `enum`.
    public var kind: String
    /// The name where it is declared.
    public var source: SourceRef
}

extension Checker {
    /// Every top-level value and type name declared so far, in no particular order.
    public var declarationSites: [DeclarationSite] {
        var sites: [DeclarationSite] = []
        for (name, symbol) in globals {
            guard let source = globalSources[name] else { continue }
            sites.append(DeclarationSite(name: name, kind: symbol.kind, source: source))
        }
        for (name, type) in types {
            guard let source = typeSources[name] else { continue }
            let kind: String
            switch type {
            case .enumType: kind = "enum"
            case .record: kind = "record"
            }
            sites.append(DeclarationSite(name: name, kind: kind, source: source))
        }
        return sites
    }
}

extension Checker.Symbol {
    /// The keyword that declares it.
    var kind: String {
        switch self {
        case .param: return "param"
        case .letDef: return "let"
        case .decision: return "decision"
        case .jurisdiction: return "jurisdiction"
        case .agency: return "agency"
        case .population: return "population"
        case .scenario: return "scenario"
        case .policy: return "policy"
        case .event: return "event"
        case .reaction: return "reaction"
        }
    }
}
