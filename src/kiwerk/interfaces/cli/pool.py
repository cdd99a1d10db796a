"""``kiwerk pool``: the governed data pool.

Every command acts as ``KIWERK_USER`` on the pool under ``KIWERK_HOME``; the
core :class:`~kiwerk.core.data.Pool` checks roles and grants and audits.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kiwerk.core.data import (
    DatasetSpec,
    IngestReport,
    KAnonymityReport,
    Pool,
    QualityReport,
)
from kiwerk.errors import AccessDenied, NotFound
from kiwerk.settings import Settings, load_settings

app = typer.Typer(help="The governed data pool.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
console = Console()

Version = Annotated[
    int | None, typer.Option("--version", "-v", help="Version (default: latest).")
]
Columns = Annotated[list[str] | None, typer.Option(help="Repeat for several columns.")]


def open_pool(settings: Settings | None = None) -> tuple[Pool, str]:
    """The pool of the settings' home and the acting user."""
    settings = settings or load_settings()
    pool = Pool.open(settings.pool_dir, secrets_path=settings.secrets_path)
    return pool, settings.user


def render_quality(report: QualityReport, out: Console) -> None:
    """Print a quality report as Rich tables."""
    status = "[green]passed[/]" if report.passed else "[red]violations found[/]"
    out.print(
        f"[bold]Quality report[/] {report.dataset or ''} v{report.version or '-'} "
        f"from {report.source}: {status} (policy {report.policy})"
    )
    out.print(
        f"rows {report.rows:,}  kept {report.rows_kept:,}  quarantined "
        f"{report.rows_quarantined:,}  duplicate rows {report.duplicate_rows:,}"
        + (f"  smallest quasi-identifier group {report.k_min}" if report.k_min else "")
    )
    table = Table("column", "type", "treatment", "nulls", "null share", "min", "max")
    for c in report.columns:
        table.add_row(
            c.name,
            c.dtype,
            c.treatment,
            f"{c.nulls:,}",
            f"{c.null_share(report.rows):.1%}",
            "" if c.min is None else str(c.min),
            "" if c.max is None else str(c.max),
        )
    out.print(table)
    for problem in report.dataset_violations:
        out.print(f"[red]{problem}[/]")
    if report.violations:
        bad = Table("row", "line", "column", "check", "value", title="Violations")
        for v in report.violations[:20]:
            bad.add_row(str(v.row), str(v.line or ""), v.column, v.check, v.value)
        out.print(bad)
        out.print(
            f"{report.violation_total:,} violations in all "
            f"({', '.join(f'{k}: {n}' for k, n in report.violation_counts.items())})"
        )


def _spec_from_options(
    base: DatasetSpec,
    schema: Path | None,
    personal: list[str] | None,
    drop: list[str] | None,
    mask: list[str] | None,
    policy: str | None,
) -> DatasetSpec:
    spec = DatasetSpec.from_file(schema) if schema else base
    return dataclasses.replace(
        spec,
        personal=tuple(dict.fromkeys([*spec.personal, *(personal or [])])),
        drop=tuple(dict.fromkeys([*spec.drop, *(drop or [])])),
        mask=tuple(dict.fromkeys([*spec.mask, *(mask or [])])),
        policy=policy or spec.policy,  # type: ignore[arg-type]
    )


def _single_org(pool: Pool, user: str) -> str:
    orgs = [o["name"] for o in pool.organisations() if user in o["members"]]
    if len(orgs) != 1:
        raise AccessDenied(
            f"user {user!r} belongs to {len(orgs)} organisations; name one with --org"
        )
    return str(orgs[0])


@app.command("init")
def init(
    org: Annotated[str, typer.Option(help="The first organisation.")],
    owner: Annotated[str, typer.Option(help="Its owner (set KIWERK_USER to it).")],
) -> None:
    """Create the pool, its first organisation and that organisation's owner."""
    pool, _ = open_pool()
    pool.bootstrap(org, owner)
    console.print(f"pool at {pool.root}: organisation {org!r}, owner {owner!r}")


@org_app.command("create")
def org_create(name: str) -> None:
    """Create an organisation (you must own one)."""
    pool, user = open_pool()
    pool.create_organisation(name, actor=user)
    console.print(f"organisation {name!r} created")


@org_app.command("list")
def org_list() -> None:
    """List organisations and their members."""
    pool, _ = open_pool()
    table = Table("organisation", "members")
    for org in pool.organisations():
        members = ", ".join(f"{u} ({r})" for u, r in org["members"].items())
        table.add_row(org["name"], members)
    console.print(table)


@user_app.command("add")
def user_add(
    name: str,
    org: Annotated[str, typer.Option(help="Organisation.")],
    role: Annotated[str, typer.Option(help="owner, analyst or viewer.")] = "viewer",
) -> None:
    """Give a user a role in an organisation (you must own it)."""
    pool, user = open_pool()
    pool.add_user(name, org=org, role=role, actor=user)  # type: ignore[arg-type]
    console.print(f"{name!r} is {role} of {org!r}")


@app.command("grant")
def grant(
    dataset: str,
    to: Annotated[str, typer.Option("--to", help="Organisation to share with.")],
    level: Annotated[str, typer.Option(help="read, or train (train-only).")] = "read",
) -> None:
    """Share a dataset with another organisation (checks k-anonymity first)."""
    pool, user = open_pool()
    pool.grant(dataset, to_org=to, level=level, actor=user)  # type: ignore[arg-type]
    console.print(f"{dataset!r} shared with {to!r} for {level}")


@app.command("revoke")
def revoke(
    dataset: str,
    from_org: Annotated[str, typer.Option("--from", help="Organisation.")],
) -> None:
    """Withdraw a grant."""
    pool, user = open_pool()
    pool.revoke(dataset, from_org=from_org, actor=user)
    console.print(f"{dataset!r} no longer shared with {from_org!r}")


@app.command("create")
def create(
    dataset: str,
    org: Annotated[str | None, typer.Option(help="Owning organisation.")] = None,
    schema: Annotated[Path | None, typer.Option(help="Contract (TOML/YAML).")] = None,
    personal: Columns = None,
    drop: Columns = None,
    mask: Columns = None,
    policy: Annotated[str | None, typer.Option(help="reject or quarantine.")] = None,
) -> None:
    """Create an empty dataset with a contract."""
    pool, user = open_pool()
    spec = _spec_from_options(DatasetSpec(), schema, personal, drop, mask, policy)
    pool.create_dataset(
        dataset, org=org or _single_org(pool, user), actor=user, spec=spec
    )
    console.print(f"dataset {dataset!r} created")


def ingest_with_progress(
    pool: Pool, file: Path, dataset: str, *, user: str, console: Console
) -> IngestReport:
    """Ingest ``file`` into ``dataset`` showing a spinner with the rows read."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"ingesting {file.name}", total=None)
        return pool.ingest(
            file,
            dataset,
            actor=user,
            progress=lambda rows: bar.update(task, description=f"{rows:,} rows"),
        )


@app.command("ingest")
def ingest(
    file: Path,
    dataset: Annotated[str, typer.Option(help="Target dataset.")],
    org: Annotated[str | None, typer.Option(help="Org of a new dataset.")] = None,
    schema: Annotated[Path | None, typer.Option(help="Contract (TOML/YAML).")] = None,
    personal: Columns = None,
    drop: Columns = None,
    mask: Columns = None,
    policy: Annotated[str | None, typer.Option(help="reject or quarantine.")] = None,
    html: Annotated[
        Path | None, typer.Option(help="Also write the HTML report.")
    ] = None,
) -> None:
    """Ingest a CSV, Parquet or JSON-lines file as the next version of a dataset."""
    pool, user = open_pool()
    options = (schema, personal, drop, mask, policy)
    try:
        current = pool.spec(dataset, actor=user)
    except NotFound:
        spec = _spec_from_options(DatasetSpec(), *options)
        owner = org or _single_org(pool, user)
        pool.create_dataset(dataset, org=owner, actor=user, spec=spec)
    else:
        if any(options):
            spec = _spec_from_options(current, *options)
            if spec != current:
                pool.set_spec(dataset, spec, actor=user)
    report = ingest_with_progress(pool, file, dataset, user=user, console=console)
    console.print(
        f"[green]{dataset} v{report.version}[/]: {report.rows:,} rows stored, "
        f"{report.quarantined:,} quarantined, sha256 {report.content_hash[:16]}…"
    )
    render_quality(report.quality, console)
    if html is not None:
        html.write_text(report.quality.to_html(), encoding="utf-8")


@app.command("check")
def check(
    file: Path, dataset: Annotated[str, typer.Option(help="Dataset whose contract.")]
) -> None:
    """Check a file against a dataset's contract without storing anything."""
    pool, user = open_pool()
    report = pool.check(file, dataset, actor=user)
    render_quality(report, console)
    if not report.passed:
        raise typer.Exit(3)


@app.command("list")
def list_datasets() -> None:
    """List the datasets you can see."""
    pool, user = open_pool()
    table = Table("dataset", "organisation", "versions", "your access")
    for d in pool.datasets(actor=user):
        table.add_row(d.name, d.org, str(d.versions), d.access)
    console.print(table)


@app.command("versions")
def versions(dataset: str) -> None:
    """List the versions of a dataset."""
    pool, user = open_pool()
    table = Table("version", "rows", "quarantined", "sha256", "created", "by", "source")
    for v in pool.versions(dataset, actor=user):
        table.add_row(
            str(v.version),
            f"{v.rows:,}",
            f"{v.quarantined:,}",
            v.content_hash[:16],
            v.created_at[:19],
            v.created_by,
            v.source,
        )
    console.print(table)


@app.command("show")
def show(dataset: str, version: Version = None) -> None:
    """Show a version's catalog entry."""
    pool, user = open_pool()
    info = pool.version_info(dataset, version, actor=user)
    console.print_json(json.dumps(dataclasses.asdict(info)))


@app.command("read")
def read(
    dataset: str,
    version: Version = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
) -> None:
    """Print the first rows of a version (an audited read)."""
    pool, user = open_pool()
    frame = pool.read(dataset, version, actor=user)
    console.print(frame.head(limit).to_string())
    console.print(f"({len(frame):,} rows)")


@app.command("export")
def export(dataset: str, dest: Path, version: Version = None) -> None:
    """Export a version to a .csv or .parquet file (an audited export)."""
    pool, user = open_pool()
    rows = pool.export(dataset, dest, version, actor=user)
    console.print(f"{rows:,} rows written to {dest}")


@app.command("diff")
def diff(
    dataset: str, old: int, new: Annotated[int | None, typer.Argument()] = None
) -> None:
    """Compare two versions (default: OLD against the latest)."""
    pool, user = open_pool()
    console.print_json(json.dumps(pool.diff(dataset, old, new, actor=user).to_dict()))


@app.command("sql")
def sql(query: str) -> None:
    """Run SQL over the latest versions of the datasets you may read."""
    pool, user = open_pool()
    console.print(pool.sql(query, actor=user).to_string())


@app.command("quality")
def quality(
    dataset: str,
    version: Version = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    html: Annotated[Path | None, typer.Option(help="Write HTML here.")] = None,
) -> None:
    """Show the stored quality report of a version."""
    pool, user = open_pool()
    report = pool.quality(dataset, version, actor=user)
    if as_json:
        console.print_json(report.to_json())
    else:
        render_quality(report, console)
    if html is not None:
        html.write_text(report.to_html(), encoding="utf-8")
        console.print(f"HTML report written to {html}")


@app.command("k-anon")
def k_anon(
    dataset: str,
    version: Version = None,
    qi: Columns = None,
    k: Annotated[int | None, typer.Option(help="Minimum group size.")] = None,
) -> None:
    """Check k-anonymity of a version's quasi-identifiers; exit 4 if it fails."""
    pool, user = open_pool()
    report: KAnonymityReport = pool.k_anonymity(
        dataset, version, actor=user, quasi_identifiers=tuple(qi or ()), k=k
    )
    verdict = "[green]passes[/]" if report.passed else "[red]fails[/]"
    console.print(
        f"{list(report.quasi_identifiers)} with k={report.k}: {verdict}; "
        f"{report.groups} groups, smallest {report.k_min}, {report.groups_below_k} "
        f"groups ({report.rows_below_k} rows) below k"
    )
    if not report.passed:
        raise typer.Exit(4)


@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option(help="Newest entries to show.")] = 50,
) -> None:
    """Show the newest audit entries."""
    pool, _ = open_pool()
    table = Table("seq", "time", "actor", "action", "target", "details")
    for e in pool.audit.entries(limit=limit):
        details: Any = json.dumps(e.details, sort_keys=True)
        table.add_row(str(e.seq), e.ts[:19], e.actor, e.action, e.target, details)
    console.print(table)


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[
        str | None, typer.Option(help="A head SEQ:HASH printed by an earlier verify.")
    ] = None,
) -> None:
    """Check that no audit entry was edited or deleted; exit 7 if one was."""
    pool, _ = open_pool()
    result = pool.audit.verify(expect_head=expect_head)
    console.print(
        f"[green]audit log intact[/]: {result.entries} entries, "
        f"head {result.entries}:{result.head}"
    )
