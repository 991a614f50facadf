"""Preview what a perturbation family does to one sentence pair.

    python -m xstilts.perturb preview --lang de --family char_noise \
        --s1 "Der Fluss ist lang." --s2 "Der lange Fluss." [--param rate=0.2 ...]
    python -m xstilts.perturb preview --lang ja --family mixed_language \
        --row-id 12 --prepared data/prepared/pawsx
    python -m xstilts.perturb families          # list families, label effects and default params

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
from xstilts.perturb.base import params_dict
from xstilts.perturb.pipeline import SPLITS, family_params, get_family, read_split, run_family
from xstilts.perturb.registry import FAMILIES
from xstilts.perturb.scripts import LANGUAGES


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
        return read_split(path) if path.is_file() else []
    return [r for r in read_split(path) if str(r["id"]) == row_id]


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
    langs = [lang, *fam.needs_languages(family_params(fam, params), lang)]
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
    record = run_family(family, params, test, validation, [lang]).records[lang][0]
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


@cli.command()
def families() -> None:
    """List the families, their label effect and default params."""
    for name, fam in FAMILIES.items():
        click.echo(f"{name} ({fam.effect}): {fam.description}")
        click.echo("    " + json.dumps(params_dict(fam.params()), ensure_ascii=False))


if __name__ == "__main__":
    cli()
