"""Maintainers' commands from GitHub comments: `/paretobot ack|ignore|note|reopen` on a change's
comment (triage), `/paretobot bench` on a pull request or a tracking issue (benchmark jobs), and
`/paretobot help`. Each comment gets one reply, edited in place when the comment is edited or its
event delivered again. `poll` finds the comments to answer through the API (what
.github/workflows/commands.yml runs: no comment starts a workflow); `answer` answers one.

Who may command: only people whose permission on the repository is admin, maintain or write, as
GitHub's collaborator-permission endpoint says (the payload's `author_association` says nothing
of write access). Comments by bots, the bot's own included, are never read: no loops.

Text is people's text: commands are split like a shell would (quotes group words) but nothing is
ever given to a shell; reasons are stored as written and shown escaped (bot.text.md). Only lines
that start with `/paretobot` count, outside quotes (`>`) and code blocks, so a quote of the bot's
comment or of another person's command is never a command; a quote of the bot's comment does
name the change (`change `ID``) when the command leaves the ID out.

Bench never runs code from a fork on the self-hosted runners: on a pull request of the benchmark
repository it dispatches the PR's branch only when that branch is in the repository itself (its
authors have write access), and refuses a fork's; an upstream PR (`--pr`) is built at the commit
it had when the command was read, from the benchmark repository's default branch. Its jobs go
through bot/dispatch.py under keys made from the comment's id, so a redelivered or edited comment
dispatches once, and the daily budget holds.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.config.matrix import MatrixJob
from bot.config.upstreams import UpstreamsFile
from bot.errors import ParetobotError
from bot.github.events import CommentEvent, comment_event, read_payload
from bot.model import Build, Job, UpstreamEvent, utc_now
from bot.report.triage import COMMAND
from bot.text import md

VERBS = ("ack", "ignore", "note", "reopen", "bench", "help")
TRIAGE_VERBS = ("ack", "ignore", "note", "reopen")
MAX_COMMANDS = 5  # per comment: a wall of commands is a mistake more often than a plan
REPLY_MARKER = "paretobot:reply:"
DONE = {"ack": "acknowledged", "ignore": "ignored", "note": "noted", "reopen": "reopened"}
USAGE = (
    f"`{COMMAND} ack|ignore|note [ID] TEXT`, `{COMMAND} ignore [ID] TEXT --until YYYY-MM-DD`, "
    f"`{COMMAND} reopen [ID]`, `{COMMAND} bench [CONFIG-PATTERN] [--baseline BUILD] "
    f"[--pr OWNER/REPO#N]`, `{COMMAND} help`"
)
# a change's id (the hash part of its key), or a whole key (slug@hash)
_ID = re.compile(r"^(?:[0-9a-f]{6,12}|[\w.\-/+]+@[0-9a-f]{12})$")
# how a quote of the bot's change comment names the change (bot/report/triage.py)
_QUOTED_ID = re.compile(r"change `([0-9a-f]{6,12})`")
_SPAN = re.compile(r"^(\d{1,4})([dw])$")
_PR_REF = re.compile(r"^([\w.-]+/[\w.-]+)#(\d{1,9})$")
_PR_URL = re.compile(r"^https?://[^/\s]+/([\w.-]+/[\w.-]+)/pull/(\d{1,9})/?$")


class CommandError(ParetobotError):
    """A comment event that cannot be read (the message names the field)."""


class Refused(ParetobotError):
    """A command that is not carried out; the message is the reply's one line."""


# ---- reading the comment --------------------------------------------------------------------


def read_event_file(path: Path, event_name: str = "issue_comment") -> CommentEvent | None:
    return comment_event(read_payload(path), event_name)


def is_bot(event: CommentEvent, bot_login: str = "") -> bool:
    """Bots never command: GitHub Apps and Actions (`[bot]` logins, type Bot), and the bot's own
    account whatever kind it is (a token of a user account writes as that user)."""
    login = event.login.lower()
    return (
        event.user_type.lower() == "bot"
        or login.endswith("[bot]")
        or (bool(bot_login) and login == bot_login.lower())
    )


@dataclass(frozen=True)
class Command:
    verb: str  # one of VERBS, or what was typed when it is none of them
    args: tuple[str, ...]


def _words(text: str) -> list[str]:
    """Words as a shell would split them (quotes group), without a shell; an unbalanced quote
    (people write "don't") splits at spaces instead."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def commands_in(body: str) -> list[Command]:
    """The commands of a comment: lines that start with `/paretobot`, outside `>` quotes, fenced
    code blocks and indented code."""
    found: list[Command] = []
    fence = ""
    for raw in body.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if fence:
            if line.startswith(fence):
                fence = ""
            continue
        if line.startswith(("```", "~~~")):
            fence = line[:3]
            continue
        if raw.startswith(("    ", "\t")) or line.startswith(">"):
            continue
        head, _, rest = line.partition(" ")
        if head.lower() != COMMAND:
            continue
        words = _words(rest)
        verb = words[0].lower() if words else "help"
        found.append(Command(verb, tuple(words[1:])))
    return found


def quoted_ids(body: str) -> list[str]:
    """Change ids named in the comment's quoted lines (a "Quote reply" of the bot's comment)."""
    ids: list[str] = []
    for raw in body.replace("\r\n", "\n").split("\n"):
        if raw.strip().startswith(">"):
            ids += [i for i in _QUOTED_ID.findall(raw) if i not in ids]
    return ids


# ---- what answering needs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What answering needs: the store, GitHub (read, reply; dispatch may use another token), the
    configs, and where a dry run writes instead of sending."""

    engine: Engine
    gh: Any  # bot.github.api.Connection: reads permissions, writes the reply
    config: UpstreamsFile
    matrix: Sequence[MatrixJob]
    dispatch_gh: Any = None  # the connection that dispatches (default: gh)
    dry_run: Path | None = None
    settle_seconds: float = 5.0
    env: Mapping[str, str] | None = None  # for the bot's login (default: os.environ)


@dataclass(frozen=True)
class Line:
    """One command's outcome, as its line of the reply says it."""

    verb: str
    accepted: bool
    text: str  # markdown, people's text already escaped


@dataclass(frozen=True)
class Answer:
    event: CommentEvent
    lines: tuple[Line, ...] = ()
    reply: str = ""  # the whole reply; "" when the bot stays silent
    posted: str = ""  # created | updated | unchanged | dry run | "" (not posted)
    url: str = ""
    silent_because: str = ""  # why there is no reply (a bot's comment, no command)
    dispatched: tuple[str, ...] = ()  # dispatch keys and what became of them
    plans: dict[str, Any] = field(default_factory=dict)  # bench plans (dry runs write them)
    error: str = ""  # a poll goes on past a comment it could not answer, and says why


def _bot_login(ctx: Context) -> str:
    from bot.github.api import GitHubError
    from bot.github.comments import bot_login

    try:
        return bot_login(ctx.gh, ctx.env)
    except GitHubError:
        return ""  # unknown: `[bot]` logins are still skipped, and the reply will say why not


def answer(ctx: Context, event: CommentEvent, bot_login: str | None = None) -> Answer:
    """Read the comment's commands, check who wrote it, carry them out, reply once.
    `bot_login`: the bot's account when the caller knows it (asked of GitHub otherwise)."""
    commands = commands_in(event.body)
    if not commands:
        return Answer(event, silent_because="no command in the comment")
    if is_bot(event, _bot_login(ctx) if bot_login is None else bot_login):
        return Answer(event, silent_because=f"a comment by a bot ({event.login})")
    from bot.github import threads

    level = threads.permission(ctx.gh, event.repo, event.login)
    if not threads.may_command(level):
        why = (
            f"{md(event.login)} has {md(level)} access to {md(event.repo)}; only people with "
            f"write, maintain or admin access may command paretobot, and nothing was done"
        )
        lines: tuple[Line, ...] = (Line(commands[0].verb, False, why),)
    elif len(commands) > MAX_COMMANDS:
        why = f"{len(commands)} commands in one comment: at most {MAX_COMMANDS}, nothing was done"
        lines = (Line(commands[0].verb, False, why),)
    else:
        lines = tuple(_one(ctx, event, c) for c in commands)
    plans = {k: v for line in lines for k, v in getattr(line, "plans", {}).items()}
    return _reply(ctx, event, lines, plans)


_REPLY_OF = re.compile(rf"^<!-- {REPLY_MARKER}(?P<repo>[\w.-]+/[\w.-]+)#(?P<id>\d+) -->")


def poll(ctx: Context, repo: str, since: datetime) -> list[Answer]:
    """Every comment on `repo` created or edited since `since` that holds a command and has no
    reply newer than its last edit, answered oldest first. No memory is kept: the bot's own
    replies (found by author and marker) say which comments are answered, so a poll that
    overlaps the previous one, or is run twice, answers nothing twice."""
    from bot.github import threads

    comments = threads.recent_comments(ctx.gh, repo, since)
    me = _bot_login(ctx).lower()
    if not me:  # its replies could not be told from others': every poll would answer again
        raise ParetobotError(
            "cannot tell which comments are the bot's (GET /user is not allowed to this token): "
            "set PARETOBOT_BOT_LOGIN to the login its replies are written by"
        )
    answered: dict[int, datetime] = {}
    for c in comments:
        found = _REPLY_OF.match(c.body)
        if me and c.login.lower() == me and found and found["repo"].lower() == repo.lower():
            key = int(found["id"])
            answered[key] = max(answered.get(key, c.updated_at), c.updated_at)
    done = []
    for c in sorted(comments, key=lambda c: (c.created_at, c.id)):
        if not commands_in(c.body) or (c.id in answered and answered[c.id] >= c.updated_at):
            continue  # no command, or the reply is as new as the comment's last edit
        event = CommentEvent(
            action="edited" if c.updated_at > c.created_at else "created",
            repo=repo, number=c.number, is_pull=False, comment_id=c.id, body=c.body,
            login=c.login, user_type=c.user_type, url=c.url,
        )  # fmt: skip
        if is_bot(event, me):
            continue  # never answered, so looked at again by each poll: cheaply, here
        try:
            event = replace(event, is_pull=threads.is_pull(ctx.gh, repo, c.number))
            done.append(answer(ctx, event, me))
        except ParetobotError as exc:  # the next comment is still answered; this one next poll
            done.append(Answer(event, error=str(exc)))
    return done


def _one(ctx: Context, event: CommentEvent, command: Command) -> Line:
    try:
        if command.verb in TRIAGE_VERBS:
            return _triage(ctx, event, command)
        if command.verb == "bench":
            return _bench(ctx, event, command)
        if command.verb == "help":
            return Line("help", True, f"commands: {USAGE}")
        raise Refused(f"unknown command `{md(command.verb)}`; accepted: {USAGE}")
    except Refused as exc:
        return Line(command.verb, False, str(exc))
    except ParetobotError as exc:  # the store's or GitHub's one line, escaped: it may quote text
        return Line(command.verb, False, md(str(exc)))


def reply_marker(event: CommentEvent) -> str:
    return f"<!-- {REPLY_MARKER}{event.repo}#{event.comment_id} -->"


def reply_text(event: CommentEvent, lines: Sequence[Line]) -> str:
    """The reply: its marker (found again on edits and redeliveries), then one line per command.
    No line starts with the command word, so the reply can never command anything itself."""
    head = f"paretobot, answering {md(event.login)}" + (
        f" ([comment]({event.url}))" if _plain_url(event.url) else ""
    )
    rows = [f"- **{'done' if line.accepted else 'refused'}** ({md(line.verb)}): {line.text}"
            for line in lines]  # fmt: skip
    return "\n".join([reply_marker(event), head, "", *rows]) + "\n"


def _plain_url(url: str) -> bool:
    return bool(re.fullmatch(r"https?://[\w.:-]+/[\w./#%-]*", url))


def _reply(
    ctx: Context, event: CommentEvent, lines: tuple[Line, ...], plans: dict[str, Any]
) -> Answer:
    from bot.publish import fit
    from bot.urls import scrub

    body = fit(scrub(reply_text(event, lines)))
    keys = tuple(k for line in lines for k in getattr(line, "keys", ()))
    if ctx.dry_run is not None:
        ctx.dry_run.mkdir(parents=True, exist_ok=True)
        (ctx.dry_run / f"reply-{event.comment_id}.md").write_text(body, encoding="utf-8")
        for name, plan in plans.items():
            text = json.dumps(plan, indent=2) + "\n"
            (ctx.dry_run / f"bench-{name}.json").write_text(text, encoding="utf-8")
        return Answer(event, lines, body, "dry run", "", "", keys, plans)
    from bot.github.comments import Comments

    status, url = Comments(ctx.gh, env=ctx.env).upsert(
        event.repo, event.number, reply_marker(event), body
    )
    return Answer(event, lines, body, status, url, "", keys, plans)


# ---- triage -----------------------------------------------------------------------------------


def _until(text: str, now: datetime) -> datetime:
    span = _SPAN.match(text.strip().lower())
    if span:
        return now + timedelta(days=int(span.group(1)) * (7 if span.group(2) == "w" else 1))
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        why = f"--until `{md(text)}`: give YYYY-MM-DD, or a span such as 30d or 2w"
        raise Refused(why) from None
    return day.replace(tzinfo=UTC)


def _triage(ctx: Context, event: CommentEvent, command: Command) -> Line:
    from bot.app.triage import act, find_one
    from bot.report.triage import state_text

    verb, args, until_text = command.verb, list(command.args), ""
    rest: list[str] = []
    i = 0
    while i < len(args):  # --until anywhere, the rest is the ID and the reason
        if args[i] == "--until" and i + 1 < len(args):
            until_text, i = args[i + 1], i + 2
            continue
        if args[i].startswith("--until="):
            until_text, i = args[i].partition("=")[2], i + 1
            continue
        rest.append(args[i])
        i += 1
    if until_text and verb != "ignore":
        raise Refused(f"--until goes with ignore only; accepted: {USAGE}")
    ident = rest.pop(0) if rest and _ID.match(rest[0].lower()) else ""
    if not ident:
        quoted = quoted_ids(event.body)
        if len(quoted) > 1:
            named = ", ".join(f"`{q}`" for q in quoted[:5])
            raise Refused(f"the quote names {len(quoted)} changes ({named}): name one, "
                          f"`{COMMAND} {verb} ID TEXT`")  # fmt: skip
        if not quoted:
            raise Refused(f"which change? Name it (`{COMMAND} {verb} ID TEXT`) or quote the "
                          f"bot's comment about it")  # fmt: skip
        ident = quoted[0]
    reason = " ".join(rest)
    if not reason.strip() and verb != "reopen":
        raise Refused(f"{verb} needs a reason: `{COMMAND} {verb} ID TEXT`")
    until = _until(until_text, utc_now()) if until_text else None
    if ctx.dry_run is not None:
        change = find_one(ctx.engine, ident)
        return Line(verb, True, f"would mark change `{change.id}` ({md(change.config.slug)}) "
                                f"{DONE[verb]} (dry run: nothing stored)")  # fmt: skip
    change = act(ctx.engine, ident, verb, reason=reason, actor=event.login, until=until)
    noted = f" ({md(reason)})" if verb == "note" else ""  # the state line shows other reasons
    return Line(verb, True, f"change `{change.id}` ({md(change.config.slug)}) {DONE[verb]}"
                            f"{noted}; now {state_text(change, md)}")  # fmt: skip


# ---- bench ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchLine(Line):
    keys: tuple[str, ...] = ()
    plans: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchArgs:
    pattern: str = ""
    baseline: str = ""
    pr: tuple[str, int] | None = None  # an upstream pull request (repo, number)


def bench_args(args: Sequence[str]) -> BenchArgs:
    pattern, baseline, pr = "", "", None
    i, words = 0, list(args)
    while i < len(words):
        word = words[i]
        name, eq, value = word.partition("=")
        if name in ("--baseline", "--pr"):
            if not eq:
                if i + 1 >= len(words):
                    raise Refused(f"{name} needs a value; accepted: {USAGE}")
                value, i = words[i + 1], i + 1
            if name == "--baseline":
                baseline = value.strip()
            else:
                pr = _pr_ref(value)
        elif word.startswith("-"):
            raise Refused(f"unknown option `{md(word)}`; accepted: {USAGE}")
        elif pattern:
            raise Refused(f"one configuration pattern at most (got `{md(pattern)}` and "
                          f"`{md(word)}`); accepted: {USAGE}")  # fmt: skip
        else:
            pattern = word
        i += 1
    if baseline and not re.fullmatch(r"[\w.:+@/-]{1,200}", baseline):
        raise Refused(f"--baseline `{md(baseline)}` is no build name (version, tag or commit)")
    return BenchArgs(pattern, baseline, pr)


def _pr_ref(text: str) -> tuple[str, int]:
    found = _PR_REF.match(text.strip()) or _PR_URL.match(text.strip())
    if found is None:
        raise Refused(f"--pr `{md(text)}`: give OWNER/REPO#N or the pull request's address")
    return found.group(1), int(found.group(2))


def dispatch_keys(event: CommentEvent, count: int) -> list[str]:
    """The dispatch keys of a comment's bench: its repository and id (not its text: an edited
    comment is the same request), then the chunk."""
    return [
        hashlib.sha256(f"command|{event.repo}|{event.comment_id}|{n}".encode()).hexdigest()[:20]
        for n in range(count)
    ]


def _baseline(framework: str, given: str, default: Build) -> Build:
    return Build(framework=framework, version=given) if given else default


def _recipe_jobs(
    ctx: Context, event: CommentEvent, pr: Any, wanted: BenchArgs, templates: list[MatrixJob]
) -> tuple[UpstreamEvent, list[Job]]:
    """A PR of the benchmark repository changes how configurations are run (recipes, matrix),
    not the framework: the candidate is the matrix build run from the PR's branch, labelled
    with the PR; the baseline is the matrix build as stored (measuring it again beside the
    candidate would run the PR's recipe twice)."""
    from bot.plan import matrix_build

    ev = UpstreamEvent(
        upstream=event.repo, kind="pull", name=str(pr.number), title=pr.title, url=pr.url,
        at=utc_now(), ref=pr.head_sha, labels=pr.labels, base=pr.base_sha,
    )  # fmt: skip
    jobs = []
    for t in templates:
        pinned = matrix_build(t.config.framework, t.image)
        candidate = replace(pinned, version=f"{pinned.version}-bench-pr{pr.number}")
        baseline = _baseline(t.config.framework, wanted.baseline, pinned)
        jobs.append(_job(ctx, event, ev, t, candidate, baseline, False))
    return ev, jobs


def _upstream_jobs(
    ctx: Context, event: CommentEvent, pr: Any, wanted: BenchArgs, templates: list[MatrixJob]
) -> tuple[UpstreamEvent, list[Job]]:
    """An upstream PR: its merge commit when merged (the same build the watcher benchmarks),
    else the head commit it has now, pinned (a later push is not what was asked for)."""
    from bot.plan import Earlier, baseline_of, build_of

    upstream = ctx.config.upstream(pr.repo)
    ref = pr.merge_commit if pr.merged and pr.merge_commit else pr.head_sha
    ev = UpstreamEvent(
        upstream=pr.repo, kind="pull", name=str(pr.number), title=pr.title, url=pr.url,
        at=utc_now(), ref=ref, labels=pr.labels, base=pr.base_sha,
    )  # fmt: skip
    rule = upstream.baseline.rule("pull")
    interleave = not wanted.baseline and ctx.config.budget.interleave != "never"
    jobs = []
    for t in templates:
        framework = t.config.framework
        candidate = build_of(ev, framework)
        if not pr.merged:  # not the merged build: a name of its own, so results never mix
            candidate = replace(candidate, version=f"pr-{pr.number}-{ref[:10]}")
        default = baseline_of(ev, rule, framework, t.image, Earlier(), upstream.image_tags)
        baseline = _baseline(framework, wanted.baseline, default)
        jobs.append(_job(ctx, event, ev, t, candidate, baseline, interleave))
    return ev, jobs


def _job(
    ctx: Context,
    event: CommentEvent,
    ev: UpstreamEvent,
    t: MatrixJob,
    candidate: Build,
    baseline: Build,
    both: bool,
) -> Job:
    """`ev.upstream`: the repository the change comes from (attribution lists its PRs)."""
    return Job(
        config=t.config, entry=t.entry, model_id=t.model_id, image=t.image, runner=t.runner,
        concurrencies=t.concurrencies, repeats=ctx.config.budget.repeats, build=candidate,
        reasons=(f"{COMMAND} bench by {event.login}",), baseline=baseline, interleave=both,
        upstream=ev.upstream,
    )  # fmt: skip


def _bench(ctx: Context, event: CommentEvent, command: Command) -> Line:
    from bot import dispatch, store
    from bot.github import api as gh_api
    from bot.github import threads
    from bot.plan import feeds

    wanted = bench_args(command.args)
    config, target = ctx.config, ctx.config.benchmark
    matching = [t for t in ctx.matrix if not wanted.pattern or t.config.matches(wanted.pattern)]
    if wanted.pr is not None:
        repo, number = wanted.pr
        if repo.lower() not in {u.repo.lower() for u in config.upstreams}:
            watched = ", ".join(u.repo for u in config.upstreams)
            raise Refused(f"{md(repo)} is not a watched upstream ({md(watched)})")
        repo = next(u.repo for u in config.upstreams if u.repo.lower() == repo.lower())
        pr = threads.pull_info(ctx.gh, repo, number)
        upstream = config.upstream(repo)
        matching = [t for t in matching if feeds(upstream, t)]
        ref = target.ref  # the benchmark repository's own code: the default branch
        make = _upstream_jobs
    else:
        if not event.is_pull:
            raise Refused(f"on an issue, name the upstream pull request: "
                          f"`{COMMAND} bench [PATTERN] --pr OWNER/REPO#N`")  # fmt: skip
        if event.repo.lower() != target.repo.lower():
            raise Refused(
                f"this is no pull request of the benchmark repository "
                f"({md(target.repo)}); name an upstream one with `--pr OWNER/REPO#N`"
            )
        pr = threads.pull_info(ctx.gh, event.repo, event.number)
        if pr.from_fork:
            where = md(pr.head_repo) if pr.head_repo else "a deleted repository"
            raise Refused(
                f"#{pr.number} comes from a fork ({where}): code from a fork never runs on the "
                f"self-hosted GPU runners. Push its branch to {md(target.repo)} and ask again"
            )
        ref = pr.head_ref  # the PR's branch, in this repository: written by people with write
        make = _recipe_jobs
    if not matching:
        what = f"`{md(wanted.pattern)}`" if wanted.pattern else "this"
        raise Refused(f"no configuration of the benchmark matrix matches {what}"
                      + (f" for {md(pr.repo)}" if wanted.pr else ""))  # fmt: skip
    ev, jobs = make(ctx, event, pr, wanted, matching)
    limit = config.budget.jobs_per_event
    over_event = len(jobs) - limit if len(jobs) > limit else 0
    jobs = jobs[:limit]

    per_day = config.budget.jobs_per_day
    probe = dispatch_keys(event, 1)[0]
    again = store.dispatch_state(ctx.engine, probe) is not None
    over_day = 0
    if not again:
        fit, left_out = dispatch.within_daily_budget(ctx.engine, jobs, per_day)
        if not fit:
            raise Refused(f"over the daily budget of {per_day} jobs: none left today (UTC); "
                          f"nothing was dispatched")  # fmt: skip
        jobs, over_day = fit, len(left_out)
    batches = dispatch.chunk(ev, jobs, target.jobs_per_dispatch)
    batches = [replace(b, key=k) for b, k in zip(batches, dispatch_keys(event, len(batches)),
                                                  strict=True)]  # fmt: skip
    # benchmark.yml's `issue`: analyze.yml posts the verdicts there. An issue of the benchmark
    # repository only: its publishing job may comment on issues, not on pull requests (those
    # verdicts go to the tracking issue)
    here = event.repo.lower() == target.repo.lower() and not event.is_pull
    extra = {"issue": str(event.number)} if here else {}
    plan = {
        "comment": event.comment_id, "repo": event.repo, "issue": event.number, "ref": ref,
        "dispatches": [{**b.inputs(), **extra, "ref": ref} for b in batches],
    }  # fmt: skip
    if ctx.dry_run is not None:
        outcomes = [(b.key, "dry run") for b in batches]
    else:
        dgh = ctx.dispatch_gh or ctx.gh
        actions = dispatch.GitHubActions(
            post=lambda inputs: gh_api.dispatch(dgh, target.repo, target.workflow, ref,
                                                {**inputs, **extra}),
            titles=lambda: gh_api.run_titles(dgh, target.repo, target.workflow),
        )  # fmt: skip
        outcomes = []
        for b in batches:
            if again and store.dispatch_state(ctx.engine, b.key) is None:
                continue  # an edited comment asks for what it asked for first, never more
            outcomes.append(
                (b.key, dispatch.send(ctx.engine, actions, b, settle_seconds=ctx.settle_seconds))
            )
    midnight = utc_now().replace(hour=0, minute=0, second=0, microsecond=0)
    left = max(0, per_day - store.jobs_dispatched_since(ctx.engine, midnight))
    return BenchLine(
        "bench", True, _bench_text(ev, jobs, outcomes, ref, again, over_event, over_day, left,
                                   per_day, bool(extra)),
        keys=tuple(f"{k}: {o}" for k, o in outcomes), plans={str(event.comment_id): plan},
    )  # fmt: skip


def _bench_text(
    ev: UpstreamEvent,
    jobs: Sequence[Job],
    outcomes: Sequence[tuple[str, str]],
    ref: str,
    again: bool,
    over_event: int,
    over_day: int,
    left: int,
    per_day: int,
    here: bool,
) -> str:
    first = jobs[0]
    names = sorted({j.config.slug for j in jobs})
    shown = ", ".join(f"`{md(n)}`" for n in names[:8]) + (
        f" and {len(names) - 8} more" if len(names) > 8 else ""
    )
    state = "already queued by this comment" if again else "queued"
    if outcomes and all(o == "dry run" for _, o in outcomes):
        state = "would queue (dry run: nothing sent)"
    keys = ", ".join(f"`{k}`" for k, _ in outcomes)
    text = (
        f"{len(jobs)} job(s) {state} for {md(ev.upstream)}#{md(ev.name)} from `{md(ref)}`: "
        f"{md(first.build.label)} against {md(first.baseline.label if first.baseline else '?')}"
        f" on {shown} (benchmark runs titled `benchmark KEY`, keys {keys})"
    )
    if over_event:
        text += f"; {over_event} more left out (over the per-event budget)"
    if over_day:
        text += f"; {over_day} more left out (over the daily budget of {per_day} jobs)"
    text += f"; {left} of {per_day} jobs left today (UTC)."
    text += (" The verdicts are posted here when the runs are analyzed." if here
             else " The verdicts go to the tracking issue.")  # fmt: skip
    return text
