/// `:help` for the language's own words: statements, aggregates, operators and built-ins
/// (LANGUAGE.md §6–§7), each with its form and what it does.
enum HelpTopics {
    static let topics: [String: String] = [
        "table": """
            table AGG, … [by KEY, …] from POP [where COND] [under S] [to "FILE.csv|json"]
              one row per key (year, quarter, month, a field or any expression), one column per
              aggregate: count, count(COND), share(COND), sum(EXPR), mean(EXPR), or an enum-valued
              expression (a column per member).  table outcome by year from bookings
            """,
        "compare": """
            compare S1, S2 [, …] on AGG, … [by KEY, …] from POP [where COND] [to "FILE.csv|json"]
              the aggregates under each scenario, with the difference and the change in percent
              against the first, then the attribution: for the cases whose answers differ, which
              policy decided them in each scenario, with counts. With `to`, the result goes to the
              file, as CSV or JSON by its extension.  compare baseline, trust_act_2012 on outcome by year from bookings
            """,
        "plot": """
            plot AGG, … by KEY from POP [where COND] [under S, …] [titled "TITLE"] [to "FILE.svg"]
              a chart at the terminal, or an SVG file, its axes labelled by the key and the
              aggregate.  plot outcome by year from bookings titled "Outcomes by year"
            """,
        "replicates": """
            table|compare|plot … from POP replicates N
              runs the query N times (replicate r adds r to every population's seed); each cell is
              the mean ± the half-width of its 95% interval, and compare adds the mean paired
              difference.  compare baseline, trust_act_2012 on outcome by year from bookings replicates 20
            """,
        "sweep": """
            table|compare|plot … from POP sweep PARAM in {V, …}   or   sweep PARAM in A .. B step S
              runs the query once per value, with param PARAM = V in every scenario; several sweeps
              form their product. Long output: the params, the keys, then the aggregates.
              table count(detainer) by year from bookings sweep discretion_2012 in {30%, 40%, 50%}
            """,
        "decompose": """
            decompose S on AGG, … [by KEY, …] from POP [where COND] [replicates N]
              splits AGG under S − AGG under the scenario S starts from among S's changes: each
              change's Shapley share (the shares add up to the total), and its effect alone and last.
              decompose trust_act_2012 on count(outcome == transferred) by year from bookings
            """,
        "sample": """
            sample N from POP [where COND] [under S]
              N cases chosen at random (the same each run), in case order, with their case numbers;
              POP[i] is case i.  explain outcome(bookings[1742]) under baseline, trust_act_2012
            """,
        "explain": """
            explain EXPR [under S1 [, S2]]
              how EXPR was answered: each decision's candidates, their answers, what the combiner
              chose; with two scenarios, where the two derivations first part ways.
              explain outcome(bookings[1742]) under baseline, trust_act_2012
            """,
        "status": """
            status JURISDICTION [at DATE] [under S]
              the policies in force for it (its own and inherited) and its attributes on that date.
              status cook at 2012-01-01 under trust_act_2012
            """,
        "count": "count(POP [where COND]) — the number of cases; in a table, count or count(COND) per group.\n",
        "share": "share(POP where COND) — the fraction of cases for which COND holds; in a table, share(COND).\n",
        "sum": "sum(POP [where COND], EXPR) — the total of EXPR over the cases; in a table, sum(EXPR). Int totals are exact; past 64 bits they are an overflow error.\n",
        "mean": "mean(POP [where COND], EXPR) — the mean of EXPR over the cases; in a table, mean(EXPR).\n",
        "chance": "chance(P [, \"label\"]) — true with probability P for this case: the draw depends only on the seed, the case and the label, so the same case draws alike in every scenario.\n",
        "under": "EXPR under S — EXPR evaluated in scenario S.  honored(b) under trust_act_2012\n",
        "at": "EXPR at DATE — attributes and params read as of DATE.  cook.trust at 2012-01-01\n",
        "within": "J within K — J is K or lies inside it (county within state).\n",
        "in": "X in {A, B, …} — X is one of the collection's elements.\n",
        "if": "if COND then A else B — both branches of one type.\n",
        "min": "min(A, B), max(A, B) — the smaller, the larger.\n",
        "max": "min(A, B), max(A, B) — the smaller, the larger.\n",
        "abs": "abs(X) — the absolute value.\n",
        "round": "round(X), floor(X), ceil(X) — a number to an int; round(X, DIGITS) — a number rounded to DIGITS decimals (half away from zero).\n",
        "floor": "round(X), floor(X), ceil(X) — a number to an int.\n",
        "ceil": "round(X), floor(X), ceil(X) — a number to an int.\n",
        "year": "year(D), month(D), quarter(D), weekday(D) — parts of a date.\n",
        "month": "year(D), month(D), quarter(D), weekday(D) — parts of a date.\n",
        "quarter": "year(D), month(D), quarter(D), weekday(D) — parts of a date.\n",
        "weekday": "year(D), month(D), quarter(D), weekday(D) — parts of a date.\n",
        "sqrt": "sqrt(X), exp(X), ln(X), pow(X, Y) — numbers; outside the domain (sqrt of a negative, ln of 0) or past the largest number, an error.\n",
        "exp": "sqrt(X), exp(X), ln(X), pow(X, Y) — numbers; outside the domain (sqrt of a negative, ln of 0) or past the largest number, an error.\n",
        "ln": "sqrt(X), exp(X), ln(X), pow(X, Y) — numbers; outside the domain (sqrt of a negative, ln of 0) or past the largest number, an error.\n",
        "pow": "sqrt(X), exp(X), ln(X), pow(X, Y) — numbers; outside the domain (sqrt of a negative, ln of 0) or past the largest number, an error.\n",
        "days": "days(D2 - D1) — a duration in days as an int.\n",
        "ancestor": "ancestor(J, KIND) — the jurisdiction of that kind above J (its state, say).\n",
        "decision": "decision NAME(c: RECORD): TYPE = DEFAULT [combine COMBINER] — a question about a case, answered by the policies in force (§5).  decision honored(b: booking): bool = true\n",
        "policy": "policy NAME[(j: jurisdiction, …)] by OWNER [from D] [until D] [proposed] [overrides P] [\"label\"] { DECISION(c) = EXPR [when COND] … } — rules owned by a jurisdiction, in force while enacted.  policy trust_act by california proposed { honored(b) = false when b.charge != felony }\n",
        "event": "event NAME on DATE [by OWNER] { enact P, repeal P, set J.ATTR = V, … } — a dated change.  event cook_ordinance on 2011-09-07 by cook { enact detainer_ban(cook) }\n",
        "when": "when EVENT { … } / when J in jurisdictions where COND { … } — a reaction: effects that follow an event, or a condition becoming true.  when trust_act_vetoed { set california.trust = 0.2 }\n",
        "scenario": "scenario NAME [from PARENT] [\"label\"] { … } — a patch on another scenario: cancel or re-declare what it changes.  scenario no_veto { cancel trust_act_vetoed }\n",
        "population": "population NAME of RECORD { size N, seed S, FIELD GENERATOR, … } or population NAME of RECORD from \"file.csv\" — the cases queries run over.  population bookings of booking { size 10_000, seed 1, date uniform 2008-01-01 .. 2015-12-31 }\n",
        "test": "test \"NAME\" { let …, assert COND \"message\" } — run by `policy test`.  test \"felonies are held\" { assert honored(b) }\n",
        "param": "param NAME[: TYPE] = VALUE — a named value events may change; a scenario may re-declare it. At the prompt, :set NAME = VALUE changes it for the session.  param discretion_2012: number = 43%\n",
        "timeline": """
            timeline [under S] [from DATE] [until DATE] [for JURISDICTION]
              the dated events, derived ones (reactions) included, with what each changed.
              timeline under trust_act_2012 from 2012-01-01 until 2014-12-31
            """,
        "where": """
            … from POP where COND   (table, compare, plot, sample, decompose)   count(POP where COND)
              only the cases for which COND holds.  table count by year from bookings where charge == felony
            """,
        "to": """
            table|compare … to "FILE.csv|json"   plot … to "FILE.svg"
              writes that one result to the file (atomically) instead of printing it; the extension
              picks the format.  compare baseline, trust_act_2012 on outcome by year from bookings to "out.csv"
            """,
        "titled": """
            plot … titled "TITLE"
              the chart's title instead of its aggregates and keys (only plot takes it).
              plot count(outcome == transferred) by year from bookings titled "Handed to ICE"
            """,
        "let": "let NAME[(c: RECORD, …)][: TYPE] = EXPR — a named value, or a function of its parameters; at the prompt, a value for the session.  let serious(b: booking): bool = b.charge == felony\n",
        "assert": "assert COND [\"message\"] — at the top level, the run fails (exit 1) when COND is false; in a test, the test fails.  assert count(bookings) > 0 \"the sample is empty\"\n",
        "include": "include \"FILE.policy\" — the file's declarations join the program, read once whatever the order (paths relative to the including file).  include \"main.policy\"\n",
        "enum": "enum NAME { A, B, … } — a closed set of values.  enum charge { felony, misdemeanor, none }\n",
        "record": "record NAME { FIELD: TYPE [= DEFAULT], … } — the shape of a case; a date and a jurisdiction field make it one a population can hold.  record booking { date: date, jurisdiction: jurisdiction, charge: charge = none }\n",
        "jurisdiction": "jurisdiction NAME: KIND [in PARENT] [\"label\"] — a place that owns policies; its kind is any word (state, county, …), and the kinds used form the enum `kind`.  jurisdiction cook: county in illinois\n",
        "jurisdictions": "jurisdictions from \"FILE.csv\" — many jurisdictions at once, a row each (name, kind, parent, attributes).  jurisdictions from \"data/counties.csv\"\n",
        "agency": "agency NAME of JURISDICTION [\"label\"] — an owner of policies acting for a jurisdiction.  agency ice of usa \"Immigration and Customs Enforcement\"\n",
        "enact": "enact POLICY[(ARGS)] [from DATE] [until DATE] — in an event or reaction: puts a policy in force.  event trust_act_signed on 2013-10-05 { enact trust_act from 2014-01-01 }\n",
        "repeal": "repeal POLICY[(ARGS)] — in an event or reaction: takes a policy out of force from that date.  event reversed on 2015-01-05 { repeal priorities_2012 }\n",
        "set": "set J.ATTR = VALUE — in an event or reaction: changes a jurisdiction's attribute (or a param) from that date.  when trust_act_vetoed { set california.trust = 0.2 }\n",
        "after": "after DURATION { … } — in an event or reaction: effects that happen that long after it.  when oregon_ruling { after 30 days { repeal honor_all } }\n",
        "cancel": "cancel NAME — in a scenario: the declaration (event, reaction, policy, …) does not happen in it.  scenario no_veto { cancel trust_act_vetoed }\n",
        "combine": "decision … = DEFAULT combine most_specific|latest|deny_overrides|permit_overrides|min|max — how the answers of several policies in force are combined.  decision honored(b: booking): bool = true combine deny_overrides\n",
        "weight": "population NAME of RECORD [from \"FILE.csv\"] { weight EXPR, … } — each case stands for EXPR real ones (a number, constant or from the case's fields): counts, shares, sums and means are weighted; `cases` counts the cases themselves.  population jails of jail from \"jails.csv\" { weight admissions }\n",
    ]

    static var words: [String] { Array(topics.keys) + ["syntax"] }

    /// `:help syntax`: the form of each statement, declaration and expression on a line,
    /// taken from the topics above (so the cheat sheet and `:help WORD` never disagree).
    static var syntax: String {
        let groups: [(String, [String])] = [
            ("Questions", ["table", "compare", "plot", "decompose", "replicates", "sweep", "where", "titled", "to", "sample",
                           "explain", "status", "timeline", "assert", "test"]),
            ("Declarations", ["enum", "record", "jurisdiction", "jurisdictions", "agency", "param", "let", "decision", "combine",
                              "policy", "event", "when", "scenario", "cancel", "population", "weight", "include"]),
            ("Effects (in events and reactions)", ["enact", "repeal", "set", "after"]),
            ("Expressions", ["if", "in", "within", "under", "at", "chance", "count", "share", "sum", "mean",
                             "min", "abs", "round", "year", "sqrt", "days", "ancestor"]),
        ]
        var out = ""
        for (title, names) in groups {
            out += "\(title):\n"
            for name in names {
                guard let text = topics[name] else { continue }
                // The form alone: the first line, up to its explanation.
                var form = text.split(separator: "\n").first.map(String.init) ?? name
                if let dash = form.range(of: " — ") { form = String(form[..<dash.lowerBound]) }
                out += "  \(form.trimmingCharacters(in: " "))\n"
            }
        }
        return out + ":help WORD for any of these; :help NAME for a declaration of the program.\n"
    }
}
