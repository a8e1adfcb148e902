from advisor.iac.hcl_scanner import split_top_level


def texts(src: str) -> list[str]:
    return [c.text for c in split_top_level(src)]


def test_splits_blocks_and_skips_comments():
    src = '# header\nresource "a" "b" {\n  x = 1\n}\n\n// c\n/* multi\nline */\nvariable "v" {}\n'
    chunks = split_top_level(src)
    assert [c.text.split()[0] for c in chunks] == ["resource", "variable"]
    assert chunks[0].line == 1 and chunks[0].column == 0
    assert chunks[1].line == 8


def test_braces_inside_strings_comments_and_interpolations_do_not_count():
    src = 'resource "a" "b" {\n  x = "}{"\n  y = "${merge({a = "}"}, {})}"\n  # }\n}\nlocals {}\n'
    assert len(texts(src)) == 2


def test_heredoc_with_braces():
    src = 'resource "a" "b" {\n  policy = <<EOF\n{ "a": "}" \n}}}\nEOF\n}\noutput "o" { value = 1 }\n'
    chunks = texts(src)
    assert len(chunks) == 2 and chunks[1].startswith("output")


def test_indented_heredoc_marker():
    src = "locals {\n  x = <<-EOT\n    }\n    EOT\n}\nlocals {}\n"
    assert len(texts(src)) == 2


def test_unclosed_block_resyncs_at_next_top_level_keyword():
    src = 'resource "a" "b" {\n  x = {\n\nresource "c" "d" {\n  y = 1\n}\n'
    chunks = split_top_level(src)
    assert len(chunks) == 2
    assert not chunks[0].balanced
    assert chunks[1].balanced and chunks[1].text.startswith('resource "c"')


def test_stray_closing_brace_is_its_own_chunk():
    chunks = split_top_level('}\nresource "a" "b" {}\n')
    assert chunks[0].text == "}" and not chunks[0].balanced
    assert chunks[1].text.startswith("resource")


def test_unterminated_string_stops_at_end_of_line():
    src = 'resource "a" "b" {\n  x = "abc\n}\nvariable "v" {}\n'
    chunks = texts(src)
    assert chunks[-1] == 'variable "v" {}'


def test_tfvars_attributes_are_items():
    assert texts('a = 1\nb = [\n  1,\n  2,\n]\nc = "x"\n') == ["a = 1", "b = [\n  1,\n  2,\n]", 'c = "x"']


def test_crlf_and_bom():
    src = '\ufeffresource "a" "b" {\r\n  x = 1\r\n}\r\nlocals {}\r\n'
    chunks = split_top_level(src)
    assert len(chunks) == 2 and chunks[1].line == 3


def test_empty_text():
    assert split_top_level("") == []
    assert split_top_level("\n\n  # only a comment\n") == []


def test_item_starts_after_indentation():
    chunks = split_top_level("   a = 1\n\t\tb = 2\n")
    assert [(c.text, c.line, c.column) for c in chunks] == [("a = 1", 0, 3), ("b = 2", 1, 2)]


def test_incremental_scan_after_single_edits_equals_full_scan():
    base = (
        '# top\nvariable "v" {\n  default = 1\n}\n\nresource "a" "b" {\n  x = "}{"\n  y = <<EOF\n}\nEOF\n}\n'
        '/* c\n}\n*/\nlocals {\n  z = { a = 1 }\n}\n}\nresource "c" "d" { q = 2 }\na = 1\n'
    )
    edits = [
        "",
        "x",
        "\n",
        "{",
        "}",
        '"',
        "#",
        "/*",
        "*/",
        "<<EOF\n",
        "\nEOF\n",
        'resource "n" "m" {\n',
        "\r\n",
    ]
    for i in range(len(base) + 1):
        for j in (i, min(len(base), i + 1), min(len(base), i + 7)):
            for ins in edits:
                new = base[:i] + ins + base[j:]
                for a, b in ((base, new), (new, base)):
                    assert split_top_level(b, (a, split_top_level(a))) == split_top_level(b), (i, j, ins)
