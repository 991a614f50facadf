"""Preview what a perturbation family does to one sentence pair.

    python -m xstilts.perturb preview --lang de --family char_noise \
        --s1 "Der Fluss ist lang." --s2 "Der lange Fluss." [--param rate=0.2 ...]
    python -m xstilts.perturb preview --lang ja --family mixed_language \
        --row-id 12 --prepared data/prepared/pawsx
    python -m xstilts.perturb families          # list families, label effects and default params
    python -m xstilts.perturb audit sample --family contrast --prepared data/prepared/pawsx \
        --tokenizer models/pretrained --out data/audit/contrast.jsonl      # draw the validity audit
    python -m xstilts.perturb audit summary data/audit/*.jsonl            # validity rates, 95 % CI
    python -m xstilts.perturb audit token-stats --variants data/variants --clean data/prepared/pawsx/test \
        --tokenizer models/pretrained --out data/audit/token_identical.json

With --s1/--s2, families that need data (code_mixing's lexicons, entity_number's common words) use
the validation split of --prepared when it is given. With --row-id the preview is exactly the record
the stage writes for that id (same random stream, same resources).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from xstilts.errors import XstiltsError, cli_errors
from xstilts.io import read_jsonl, write_json, write_jsonl
from xstilts.params import read_params
from xstilts.perturb.base import params_dict
from xstilts.perturb.pipeline import SPLITS, family_params, get_family, languages_to_read, run_family
from xstilts.perturb.registry import FAMILIES
from xstilts.schema import LANGUAGES, prepared_file, read_prepared


def parse_param_options(items: tuple[str, ...]) -> dict[str, Any]:
    """`key=value` strings -> dict; values are YAML (0.2, true, [a, b])."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise XstiltsError(f"--param {item!r}: expected KEY=VALUE")
        out[key.strip()] = yaml.safe_load(value)
    return out


def _load(prepared: Path, split: str, lang: str, row_id: str | None) -> list[dict[str, Any]]:
    path = prepared / split / f"{lang}.jsonl"
    if row_id is None:
        return read_prepared(path) if path.is_file() else []
    return [r for r in read_prepared(path) if str(r["id"]) == row_id]


def preview_record(
    family: str,
    lang: str,
    params: dict[str, Any],
    row: dict[str, Any] | None,
    row_id: str | None,
    prepared: Path | None,
) -> tuple[dict[str, Any], tuple[str, str]]:
    """The variant record for one pair (given, or read from --prepared by id), and the pair."""
    fam = get_family(family)
    parsed = family_params(fam, params)
    langs = [lang, *fam.needs_languages(parsed, lang)]
    if prepared is not None:
        langs += [o for o in fam.may_use_languages(parsed, lang) if (prepared / SPLITS[0] / f"{o}.jsonl").is_file()]
    test: dict[str, list[dict[str, Any]]] = {}
    validation: dict[str, list[dict[str, Any]]] = {}
    if prepared is not None:
        for other in dict.fromkeys(langs):
            test[other] = _load(prepared, SPLITS[0], other, row_id) if row_id is not None else []
            validation[other] = _load(prepared, SPLITS[1], other, None)
    if row is not None:
        test[lang] = [row]
    if not test.get(lang):
        raise XstiltsError(f"id {row_id!r} not found in {prepared}/{SPLITS[0]}/{lang}.jsonl")
    record = run_family(family, parsed, test, validation, [lang]).records[lang][0]
    return record, (test[lang][0]["sentence1"], test[lang][0]["sentence2"])


def render(record: dict[str, Any], original: tuple[str, str], effect: str) -> str:
    lines = [
        f"family: {record['family']} ({effect})   lang: {record['lang']}   id: {record['id']}",
        "params: " + ", ".join(f"{k}={v}" for k, v in record["params"].items()),
        f"eligible: {record['eligible']}   changed: {record['changed']}   "
        f"label: {record['label']} -> expected {record['expected_label']}",
    ]
    for n, before in enumerate(original, start=1):
        lines += [f"s{n}: {before}", f" -> {record[f'sentence{n}']}"]
    lines.append(f"edits ({record['edit_count']}):")
    lines += [
        f"  s{e['sentence']} {e['op']} [{e['start']}:{e['end']}] {e['before']!r} -> {e['after']!r}"
        for e in record["edits"]
    ]
    return "\n".join(lines)


@click.group()
def cli() -> None:
    """Adversarial perturbations of PAWS-X pairs."""


@cli.command()
@click.option("--family", required=True, type=click.Choice(list(FAMILIES)))
@click.option("--lang", required=True, type=click.Choice(list(LANGUAGES)))
@click.option("--s1", help="Sentence 1 (with --s2).")
@click.option("--s2", help="Sentence 2 (with --s1).")
@click.option("--label", type=click.IntRange(0, 1), default=1, show_default=True, help="Gold label for --s1/--s2.")
@click.option("--row-id", help="Take the pair with this id from --prepared (test split).")
@click.option("--prepared", type=click.Path(path_type=Path, file_okay=False), help="Prepared PAWS-X directory.")
@click.option("--param", "param_items", multiple=True, metavar="KEY=VALUE", help="Family param (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the variant record as JSON.")
@cli_errors
def preview(
    family: str,
    lang: str,
    s1: str | None,
    s2: str | None,
    label: int,
    row_id: str | None,
    prepared: Path | None,
    param_items: tuple[str, ...],
    as_json: bool,
) -> None:
    """Print the perturbed pair and its edits."""
    if (s1 is None) != (s2 is None) or (s1 is None) == (row_id is None):
        raise XstiltsError("give either --s1 and --s2, or --row-id (with --prepared)")
    if row_id is not None and prepared is None:
        raise XstiltsError("--row-id needs --prepared")
    params = parse_param_options(param_items)
    row = None if s1 is None else {"id": "preview", "sentence1": s1, "sentence2": s2, "label": label}
    record, original = preview_record(family, lang, params, row, row_id, prepared)
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    click.echo(render(record, original, FAMILIES[family].effect))


@cli.group()
def audit() -> None:
    """The validity audit of the families (xstilts.perturb.audit)."""


def _read_family_dir(family_dir: Path, langs: list[str]) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    quality = json.loads((family_dir / "quality.json").read_text(encoding="utf-8"))
    records = {}
    for lang in langs:
        path = family_dir / f"{lang}.jsonl"
        if path.is_file():
            records[lang] = [r for _, r in read_jsonl(path)]
    return quality["effect"], records


def _token_flags(tokenizer_dir: Path, family: str, effect: str, records: dict, clean: dict, max_length: int) -> dict:
    from xstilts.evaluation import EvalSet, token_changes
    from xstilts.modeling import load_tokenizer

    tokenizer = load_tokenizer(tokenizer_dir)
    sets = [EvalSet(lang, family, effect, rows) for lang, rows in records.items()]
    return dict(zip(records, token_changes(tokenizer, sets, clean, max_length), strict=True))


@audit.command("sample")
@click.option("--family", required=True, type=click.Choice(list(FAMILIES)))
@click.option("--prepared", required=True, type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Prepared PAWS-X directory (test and validation splits of every language).")
@click.option("--variants", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Read the family's variants from VARIANTS/<family>/ instead of running the family.")
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--n", "per_lang", default=25, show_default=True, help="Pairs per language.")
@click.option("--seed", default=13, show_default=True)
@click.option("--lang", "langs", multiple=True, type=click.Choice(list(LANGUAGES)), help="Default: all seven.")
@click.option("--params", "params_path", type=click.Path(path_type=Path, dir_okay=False),
              help="A params.yaml whose perturb.families.<family> to use (default: the family's defaults).")
@click.option("--param", "param_items", multiple=True, metavar="KEY=VALUE", help="Family param (repeatable).")
@click.option("--tokenizer", "tokenizer_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Draw only pairs whose token ids under this tokenizer differ from the clean pair's.")
@click.option("--max-length", default=128, show_default=True, help="Truncation for --tokenizer.")
@cli_errors
def audit_sample(family: str, prepared: Path, variants: Path | None, out: Path, per_lang: int, seed: int,
                 langs: tuple[str, ...], params_path: Path | None, param_items: tuple[str, ...],
                 tokenizer_dir: Path | None, max_length: int) -> None:
    """Draw a seeded sample of changed variant pairs per language; verdicts start empty (null).
    Verdicts already in --out for the same id and perturbed pair are kept."""
    from xstilts.perturb.audit import carry_verdicts, read_audit, sample_audit

    languages = list(langs or LANGUAGES)
    clean = {lang: read_prepared(prepared_file(prepared, SPLITS[0], lang)) for lang in languages}
    if variants is not None:
        effect, records = _read_family_dir(variants / family, languages)
    else:
        raw: dict[str, Any] = {}
        if params_path is not None:
            raw = dict(read_params(params_path, ["perturb.families"]).perturb.families.get(family) or {})
        raw.update(parse_param_options(param_items))
        fam = get_family(family)
        parsed = family_params(fam, raw)
        needed = languages_to_read(fam, parsed, languages, prepared)
        data = {split: {lang: read_prepared(prepared_file(prepared, split, lang)) for lang in needed} for split in SPLITS}
        effect, records = fam.effect, run_family(family, parsed, data["test"], data["validation"], languages).records
    flags = _token_flags(tokenizer_dir, family, effect, records, clean, max_length) if tokenizer_dir else None
    rows = sample_audit(family, effect, records, clean, per_lang, seed, flags)
    kept = carry_verdicts(rows, read_audit(out)) if out.is_file() else 0
    write_jsonl(out, rows)
    click.echo(f"{len(rows)} pairs ({kept} verdicts kept) -> {out}")


@audit.command("summary")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the rates as JSON.")
@cli_errors
def audit_summary(files: tuple[Path, ...], as_json: bool) -> None:
    """Label validity (95 % Wilson interval) and fluency per family and language; the primary rule."""
    from xstilts.perturb.audit import read_audits, table, validity

    stats = validity(read_audits(files))
    click.echo(json.dumps(stats, indent=2) if as_json else table(stats))


@audit.command("token-stats")
@click.option("--variants", required=True, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--clean", "clean_dir", required=True, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--tokenizer", "tokenizer_dir", required=True,
              type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--max-length", default=128, show_default=True)
@click.option("--tokenizer-label", help="How --out names the tokenizer (default: its folder's name).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False))
@cli_errors
def audit_token_stats(variants: Path, clean_dir: Path, tokenizer_dir: Path, max_length: int,
                      tokenizer_label: str | None, out: Path | None) -> None:
    """Per family × language: text changes, token-level changes and text changes whose token ids
    equal the clean pair's (`xstilts.evaluation.token_change_counts`), over every variant row."""
    from xstilts.evaluation import token_change_counts

    rows = []
    for family_dir in sorted(p for p in variants.iterdir() if (p / "quality.json").is_file()):
        langs = [p.stem for p in sorted(family_dir.glob("*.jsonl"))]
        clean = {lang: read_prepared(clean_dir / f"{lang}.jsonl") for lang in langs}
        effect, records = _read_family_dir(family_dir, langs)
        flags = _token_flags(tokenizer_dir, family_dir.name, effect, records, clean, max_length)
        for lang, recs in records.items():
            rows += [dict(r, variant=family_dir.name, lang=lang, text_changed=bool(r.get("changed")),
                          changed=bool(f)) for r, f in zip(recs, flags[lang], strict=True)]
    counts = token_change_counts(rows)
    if out is not None:
        write_json(out, {"max_length": max_length, "tokenizer": tokenizer_label or tokenizer_dir.name, "counts": counts})
    click.echo(json.dumps(counts, indent=1))


@cli.command()
def families() -> None:
    """List the families, their label effect and default params."""
    for name, fam in FAMILIES.items():
        note = "" if fam.primary else " [exploratory: not in the primary endpoints]"
        click.echo(f"{name} ({fam.effect}): {fam.description}{note}")
        click.echo("    " + json.dumps(params_dict(fam.params()), ensure_ascii=False))


if __name__ == "__main__":
    cli()
