import PolicySyntax

/// A checked expression as data: what the checker resolved (names to fields, slots,
/// attributes and decisions; types; the source of each operation that can fail), for the
/// evaluators that work on many cases at once.
///
/// Every node is evaluated with the same primitive operations as the compiled code
/// (`Operators` for arithmetic and comparison, `Resolution` for several answers), so the
/// two cannot drift apart. A construct with no node of its own is `.scalar`: its compiled
/// code, run case by case.
///
/// ```swift
/// // b.bail >= 50_000 and not b.match, in a rule about case b (slot 0):
/// .and(.compare(.greaterEqual, .field(.slot(0), 6), .constant(.int(50_000))),
///      .not(.field(.slot(0), 5)))
/// ```
indirect enum Node: @unchecked Sendable {
    case constant(Value)
    /// Field `i` of a case: the query's subject or a record-typed local slot.
    case field(CaseRef, Int)
    /// A local slot: in a rule, slot 0 is the case and the policy's arguments follow.
    case local(Int)
    /// Attribute `a` of a jurisdiction, as of the evaluation's date.
    case attribute(Node, Int)
    case not(Node)
    case negate(Node, SourceRef)
    case toNumber(Node)
    case and(Node, Node)
    case or(Node, Node)
    /// `+ - * /` through `Operators`.
    case arithmetic(BinaryOperator, Node, Node, SourceRef)
    /// `== != < <= > >=` through `Operators.compare`.
    case compare(BinaryOperator, Node, Node)
    /// `x in collection`.
    case contains(Node, Node)
    /// `j within k`.
    case within(Node, Node)
    case ifThenElse(Node, Node, Node)
    /// Decision `d` about the case itself (the subject, or slot 0 in a rule).
    case decision(Int, on: CaseRef)
    /// `chance(p)` drawn on `stream` for the case.
    case chance(Node, stream: UInt64, SourceRef)
    /// `min(a, b, …)` or `max(a, b, …)` of values of one type, through `ValueOrder.less`.
    case extremum(isMin: Bool, [Node])
    /// Param `p` as of the evaluation's date.
    case param(Int)
    /// A call of let `l` (its body is the world's version of it): the arguments, which of
    /// them pass a case along (`cases[k]`), and the call's compiled code.
    case letCall(Int, [Node], cases: [CaseRef?], Eval)
    /// Any other expression: its compiled code, case by case.
    case scalar(Eval)

}

extension Typed {
    /// The expression as a node: the checker's own where it made one, else its code.
    var ir: Node { node ?? .scalar(eval) }

    /// This typed expression, with its node.
    func with(_ node: Node) -> Typed {
        var t = self
        t.node = node
        return t
    }
}
