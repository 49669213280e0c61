"""The ``modelstudio`` command line.

    modelstudio serve [--ip IP] [--port N] [--token T] [--no-browser]   the phone app
    modelstudio schema-lint FILE...      check design JSON files (schema + rules)
    modelstudio schema                   print the JSON Schema of design JSON v1
    modelstudio dump-designs DIR         write every stored design as JSON

Each subcommand is a small function; heavy imports happen inside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from modelstudio_widget.exporters.contract import FORMATS

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(name: str, help: str) -> Callable[[Command], Command]:
    """Register a subcommand; its ``args`` function is attached as ``.arguments``."""

    def wrap(fn: Command) -> Command:
        _COMMANDS[name] = (fn, getattr(fn, "arguments", lambda p: None), help)
        return fn

    return wrap


def arguments(setup: Callable[[argparse.ArgumentParser], None]) -> Callable[[Command], Command]:
    def wrap(fn: Command) -> Command:
        fn.arguments = setup  # type: ignore[attr-defined]
        return fn

    return wrap


@command("schema-lint", "check design JSON files against the schema and the rules")
@arguments(lambda p: p.add_argument("files", nargs="+", metavar="FILE"))
def _schema_lint(args: argparse.Namespace) -> int:
    from modelstudio_widget.design.schema import lint_file

    failed = 0
    for path in args.files:
        problems = lint_file(path)
        if problems:
            failed += 1
            print(f"{path}: FAILED ({len(problems)} problem{'s' * (len(problems) != 1)})")
            for line in problems:
                print(f"  - {line}")
        else:
            print(f"{path}: ok")
    if len(args.files) > 1:
        print(f"{len(args.files) - failed} ok, {failed} failed")
    return 1 if failed else 0


@command("schema", "print the JSON Schema of design JSON v1")
def _schema(args: argparse.Namespace) -> int:
    from modelstudio_widget.design.schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def _workspace_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workspace", help="workspace folder (default: $MODELSTUDIO_WORKSPACE "
                   "or ~/.modelstudio)")


@command("dump-designs", "write every stored design as JSON into a folder")
@arguments(lambda p: (p.add_argument("out_dir", metavar="OUT_DIR"), _workspace_arg(p)))
def _dump_designs(args: argparse.Namespace) -> int:
    from modelstudio_widget.store import Store, dump_designs
    from modelstudio_widget.workspace import resolve_workspace

    with Store.in_workspace(resolve_workspace(args.workspace)) as store:
        paths = dump_designs(store, args.out_dir)
    print(f"wrote {len(paths)} design{'s' * (len(paths) != 1)} to {args.out_dir}")
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="RUN_OR_DESIGN",
                   help="a run id (r-...), a stored design id, or a design JSON file")
    p.add_argument("--format", "-f", required=True, choices=tuple(FORMATS),
                   help="pt: design + weights for torch; pt2: torch.export program; "
                   "onnx: one self-contained file for onnxruntime")
    p.add_argument("--out", "-o", metavar="PATH",
                   help="file to write (default: <workspace>/exports/<design>-<run>.<format>)")
    _workspace_arg(p)
    p.add_argument("--fresh", action="store_true",
                   help="export freshly initialised weights instead of the latest checkpoint")


@command("export", "export a trained model as .pt, .pt2 or .onnx (checked for parity)")
@arguments(_export_args)
def _export(args: argparse.Namespace) -> int:
    from modelstudio_widget.exporters import ExportError, write_export

    try:
        report = write_export(args.source, args.format, args.out, workspace=args.workspace,
                              weights="fresh" if args.fresh else "latest")
    except (ExportError, ValueError) as e:
        # The library's hint names the API argument; here it is a flag.
        message = str(e).replace("weights='fresh'", "--fresh")
        print(f"error: {message}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _play_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL.onnx", help="an ONNX file from `modelstudio export`")
    p.add_argument("--games", "-n", type=_positive_int, default=100,
                   help="games to play to the end (default 100)")
    p.add_argument("--seed", type=int, default=0, help="game seed (default 0)")
    p.add_argument("--threads", type=_positive_int, default=1,
                   help="onnxruntime threads (default 1)")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")


@command("play", "play 2048 with an exported .onnx policy (onnxruntime only, no torch)")
@arguments(_play_args)
def _play(args: argparse.Namespace) -> int:
    # Only onnxruntime, numpy and the engine: this command must work where torch is absent.
    from modelstudio_widget.exporters.contract import LoadError
    from modelstudio_widget.exporters.onnx_agent import OnnxAgent, format_stats
    from modelstudio_widget.training.evaluate import play_games

    try:
        agent = OnnxAgent(args.model, threads=args.threads)
    except LoadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    stats = play_games(agent.policy, games=args.games, seed=args.seed)
    if args.json:
        print(json.dumps({"model": str(args.model), **agent.metadata_summary(), **stats}))
    else:
        print(f"{args.model}: {agent.describe()}")
        print(format_stats(stats))
    return 0


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ip", default="127.0.0.1", help="address to bind (default 127.0.0.1; "
                   "0.0.0.0 to reach it from a phone, which requires a token)")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument("--token", default=None, help="access token (generated when binding "
                   "beyond loopback and none is given)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--no-qr", action="store_true", help="do not print a QR code")
    _workspace_arg(p)


@command("serve", "serve the phone app with Voila")
@arguments(_serve_args)
def _serve(args: argparse.Namespace) -> int:
    from modelstudio_widget.serve import serve

    return serve(ip=args.ip, port=args.port, token=args.token,
                 open_browser=not args.no_browser, workspace=args.workspace,
                 qr=not args.no_qr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelstudio", description=__doc__.split("\n")[0])
    subs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (fn, setup, help_text) in _COMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        setup(sub)
        sub.set_defaults(func=fn)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
