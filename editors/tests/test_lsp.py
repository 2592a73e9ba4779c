"""`policy lsp` end to end, driven by pytest-lsp's real client (pygls) over stdio.

The server is the `policy` binary named by POLICY_BIN (bin/test sets it to the debug
build), else `policy` on PATH.
"""
import os
import pathlib
import shutil
import subprocess
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

POLICY = os.environ.get("POLICY_BIN") or shutil.which("policy") or "policy"
ROOT = pathlib.Path(__file__).resolve().parents[2]

MODEL = """\
## How many days a detainer holds someone past release.
param hold_days: int = 2

record booking { date: date, charge: int }

## Twice the hold.
let doubled = hold_days * 2
"""

MAIN = """\
include "model.policy"

let total = doubled + 1
total
test "the hold" {
  assert doubled == 4
}
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workspace")
    (folder / "model.policy").write_text(MODEL)
    (folder / "main.policy").write_text(MAIN)
    return folder


def uri(path: pathlib.Path) -> str:
    return path.resolve().as_uri()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[POLICY, "lsp"]))
async def client(lsp_client: LanguageClient):
    # The server asks the editor to redraw the lenses after a run.
    lsp_client.lens_refreshes = []

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(params):
        lsp_client.lens_refreshes.append(params)
        return None

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                workspace=types.WorkspaceClientCapabilities(
                    code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True)
                )
            )
        )
    )
    yield
    await lsp_client.shutdown_session()


async def open_document(client: LanguageClient, path: pathlib.Path, text: str | None = None, version: int = 1):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(path), language_id="policy", version=version, text=path.read_text() if text is None else text
            )
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics.get(uri(path), []))


async def change_document(client: LanguageClient, path: pathlib.Path, text: str, version: int):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics.get(uri(path), []))


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    character = index - (text.rfind("\n", 0, index) + 1)
    return types.Position(line=line, character=character)


@pytest.mark.asyncio
async def test_diagnostics_on_open_and_change(client: LanguageClient, workspace):
    path = workspace / "main.policy"
    assert await open_document(client, path) == []

    broken = MAIN.replace("doubled + 1", "doubeld + 1")
    diagnostics = await change_document(client, path, broken, 2)
    assert len(diagnostics) == 1
    d = diagnostics[0]
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.message.startswith("unknown name 'doubeld'")
    assert "did you mean 'doubled'?" in d.message
    assert d.range.start == position_of(broken, "doubeld")
    assert d.range.end == position_of(broken, "doubeld", len("doubeld"))

    # An unclosed block: the error points at its end, the related place at the '{'.
    unclosed = MAIN.replace("  assert doubled == 4\n}", "  assert doubled == 4\n")
    diagnostics = await change_document(client, path, unclosed, 3)
    assert diagnostics, "an unclosed '{' is an error"
    related = [r for d in diagnostics for r in (d.related_information or [])]
    assert any(r.location.range.start == position_of(unclosed, '{\n  assert') for r in related), diagnostics

    assert await change_document(client, path, MAIN, 4) == []


@pytest.mark.asyncio
async def test_errors_in_an_include_are_published_for_that_file(client: LanguageClient, workspace):
    model = workspace / "model.policy"
    main = workspace / "main.policy"
    await open_document(client, model, MODEL.replace("hold_days * 2", "hold_days * true"))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri(main), language_id="policy", version=1, text=MAIN)
        )
    )
    for _ in range(3):
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if client.diagnostics.get(uri(model)) and uri(main) in client.diagnostics:
            break
    assert client.diagnostics[uri(model)], "the open model's unsaved text is what main includes"
    assert "true" in MODEL.replace("hold_days * 2", "hold_days * true").splitlines()[client.diagnostics[uri(model)][0].range.start.line]


@pytest.mark.asyncio
async def test_hover_shows_the_declaration_its_type_and_doc(client: LanguageClient, workspace):
    path = workspace / "main.policy"
    await open_document(client, path, MAIN)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=position_of(MAIN, "doubled + 1", 3))
    )
    assert hover is not None
    value = hover.contents.value
    assert "let doubled" in value and "int" in value, value
    assert "Twice the hold." in value, value
    assert hover.range.start == position_of(MAIN, "doubled + 1")

    param = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(workspace / "model.policy")),
                          position=position_of(MODEL, "hold_days * 2", 2))
    )
    # model.policy is not open: hover needs the document open.
    assert param is None


@pytest.mark.asyncio
async def test_definition_and_references_across_includes(client: LanguageClient, workspace):
    path = workspace / "main.policy"
    await open_document(client, path, MAIN)
    target = await client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=position_of(MAIN, "doubled + 1", 1))
    )
    assert target.uri == uri(workspace / "model.policy")
    assert target.range.start == position_of(MODEL, "doubled =")

    references = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            position=position_of(MAIN, "doubled + 1", 1),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    places = sorted((r.uri.rsplit("/", 1)[1], r.range.start.line) for r in references)
    assert places == [("main.policy", 2), ("main.policy", 5), ("model.policy", 6)], places

    without = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            position=position_of(MAIN, "doubled + 1", 1),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert len(without) == 2


@pytest.mark.asyncio
async def test_completion_offers_keywords_names_and_members(client: LanguageClient, workspace):
    path = workspace / "main.policy"
    text = MAIN + "dou"
    await open_document(client, path, text)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=position_of(text, "dou", 3))
    )
    items = result.items if hasattr(result, "items") else result
    labels = {i.label: i for i in items}
    assert "doubled" in labels and labels["doubled"].detail == "let"

    text = MAIN + "ta"
    await change_document(client, path, text, 2)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=position_of(text, "\nta", 3))
    )
    items = result.items if hasattr(result, "items") else result
    keywords = [i.label for i in items if i.kind == types.CompletionItemKind.Keyword]
    assert "table" in keywords

    text = MAIN + "let b = booking { date: 2013-01-01, charge: 1 }\nb.ch"
    await change_document(client, path, text, 3)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=position_of(text, "b.ch", 4))
    )
    items = result.items if hasattr(result, "items") else result
    assert "charge" in [i.label for i in items]


@pytest.mark.asyncio
async def test_document_symbols_list_the_declarations(client: LanguageClient, workspace):
    path = workspace / "model.policy"
    await open_document(client, path, MODEL)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
    )
    assert [(s.name, s.detail) for s in symbols] == [("hold_days", "param"), ("booking", "record"), ("doubled", "let")]
    assert symbols[1].kind == types.SymbolKind.Struct
    assert symbols[0].selection_range.start == position_of(MODEL, "hold_days")


@pytest.mark.asyncio
async def test_formatting_is_policy_fmt(client: LanguageClient, workspace, tmp_path):
    messy = "let   x=1+2\nparam  rate : number=0.5\n"
    path = workspace / "messy.policy"
    path.write_text(messy)
    await open_document(client, path, messy)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=types.TextDocumentIdentifier(uri=uri(path)),
                                       options=types.FormattingOptions(tab_size=4, insert_spaces=True))
    )
    copy = tmp_path / "copy.policy"
    copy.write_text(messy)
    subprocess.run([POLICY, "fmt", "--write", str(copy)], check=True, capture_output=True)
    assert len(edits) == 1
    assert edits[0].new_text == copy.read_text()
    assert edits[0].range.start == types.Position(line=0, character=0)

    await change_document(client, path, "let x = (1 +\n", 2)
    with pytest.raises(Exception, match="syntax errors"):
        await client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=types.TextDocumentIdentifier(uri=uri(path)),
                                           options=types.FormattingOptions(tab_size=4, insert_spaces=True))
        )


@pytest.mark.asyncio
async def test_run_lens_runs_the_statement_and_shows_the_result(client: LanguageClient, workspace):
    path = workspace / "main.policy"
    await open_document(client, path, MAIN)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
    )
    assert [(l.range.start.line, l.command.title) for l in lenses] == [(3, "▶ Run"), (4, "▶ Run test")]

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=lenses[0].command.command, arguments=lenses[0].command.arguments)
    )
    assert result["output"] == "5\n" and result["ok"] is True
    assert client.lens_refreshes, "the server asks for the lenses again"

    test = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=lenses[1].command.command, arguments=lenses[1].command.arguments)
    )
    assert "✓ the hold" in test["output"], test

    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
    )
    assert lenses[0].command.title == "▶ Run — 5"


@pytest.mark.asyncio
async def test_rechecking_the_secure_communities_story(client: LanguageClient):
    """Behaviour, not timing: a change to the story is re-checked and an error found; the time
    it took is printed for the record (README's Performance table)."""
    path = ROOT / "Examples" / "secure-communities" / "story.policy"
    text = path.read_text()
    assert await open_document(client, path, text) == []
    started = time.monotonic()
    diagnostics = await change_document(client, path, text + "\nlet oops = cok\n", 2)
    print(f"re-check after a change: {(time.monotonic() - started) * 1000:.0f} ms")
    assert [d.message.split("\n")[0] for d in diagnostics] == ["unknown name 'cok'"]


@pytest.mark.asyncio
async def test_a_burst_of_changes_ends_with_the_last_texts_diagnostics(client: LanguageClient, workspace):
    """Changes typed faster than checks: stale texts are skipped or their checks stopped, and
    what is published last is the last text's."""
    path = workspace / "main.policy"
    await open_document(client, path, MAIN)
    for version in range(2, 12):
        text = MAIN + ("let oops = cok\n" if version < 11 else "")
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if list(client.diagnostics.get(uri(path), ["pending"])) == []:
            break
    assert list(client.diagnostics.get(uri(path), [])) == []


@pytest.mark.asyncio
async def test_parameters_are_local(client: LanguageClient, workspace):
    """A decision's parameter and a rule's: hover says what it is, definition goes to where it
    is named, references stay inside the declaration."""
    text = MODEL.replace("date: date,", "date: date, jurisdiction: jurisdiction,") + (
        "decision held(b: booking): bool = b.charge > hold_days\n"
        "jurisdiction usa: federal\n"
        "policy strict by usa { held(c) = c.charge > 0 }\n"
    )
    path = workspace / "params.policy"
    path.write_text(text)
    assert await open_document(client, path, text) == []
    use = position_of(text, "b.charge", 0)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=use)
    )
    assert "b: booking — a parameter of decision held" in hover.contents.value
    target = await client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=use)
    )
    assert target.range.start == position_of(text, "b: booking")
    references = await client.text_document_references_async(
        types.ReferenceParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=use,
                              context=types.ReferenceContext(include_declaration=True))
    )
    assert sorted(r.range.start.character for r in references) == [14, 34]

    rule = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=position_of(text, "c.charge"))
    )
    assert "c: booking — the case a rule of policy strict decides" in rule.contents.value


@pytest.mark.asyncio
async def test_an_open_include_and_the_documents_that_read_it(client: LanguageClient, tmp_path):
    """A change to an open include re-checks the open documents that include it; closing one
    of them leaves the include's own diagnostics alone."""
    lib, main = tmp_path / "lib.policy", tmp_path / "main.policy"
    lib.write_text("let a = 1\nlet b = nope\n")
    main.write_text('include "lib.policy"\na + 1\n')
    await open_document(client, lib)
    await open_document(client, main)
    assert [d.message.split("\n")[0] for d in client.diagnostics[uri(lib)]] == ["unknown name 'nope'"]
    assert list(client.diagnostics[uri(main)]) == []

    # `a` renamed in lib: main, which reads it, is checked again and says so.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(lib), version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="let c = 1\nlet b = nope\n")],
        )
    )
    for _ in range(4):
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if client.diagnostics.get(uri(main)):
            break
    assert [d.message.split("\n")[0] for d in client.diagnostics[uri(main)]] == ["unknown name 'a'"]

    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(main))))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.message.split("\n")[0] for d in client.diagnostics[uri(lib)]] == ["unknown name 'nope'"]


@pytest.mark.asyncio
async def test_a_lens_of_an_earlier_text_is_refused(client: LanguageClient, tmp_path):
    path = tmp_path / "two.policy"
    text = "let a = 1\na + 1\na + 2\n"
    await open_document(client, path, text)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(path))))
    stale = lenses[1].command
    await change_document(client, path, "# a comment on top\n" + text, 2)
    with pytest.raises(Exception, match="the document changed since this lens was shown"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command=stale.command, arguments=stale.arguments))
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(path))))
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=lenses[1].command.command, arguments=lenses[1].command.arguments))
    assert result["output"] == "3\n"
