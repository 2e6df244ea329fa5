"""The filing's self-test with the model in the loop.

    python -m menshen.selftest --endpoint http://localhost:8000/v1 --model NAME \\
        keyword_packs/banks/should-refuse.jsonl keyword_packs/banks/should-answer.jsonl \\
        -o selftest/

1. `menshen eval BANK... --format json` checks the banks and tells which
   questions the filter refuses (a service guarded by menshen never sends
   those to the model; --ask-all sends them anyway).
2. Every other question goes to an OpenAI-compatible chat endpoint
   (POST {endpoint}/chat/completions, streamed by default), from a pool of
   threads, with a timeout per request and retries with back-off on network
   errors, timeouts, HTTP 429 and 5xx. The answers are written in bank order
   to answers.jsonl: {"id", "answer"} or, after the last retry failed,
   {"id", "error"}.
3. `menshen eval BANK... --answers answers.jsonl` decides and writes the
   report (Markdown, JSON, xlsx, HTML): a question counts as refused when the
   filter refuses it, the output check refuses the answer, or the answer is a
   refusal by the refusal-phrase pack; generated content passes unless the
   output check refuses it. Its exit status is this command's.

The evaluation is the CLI's, not a second implementation in Python: bank
validation, the statistics, the versions and the report writers exist once,
so the numbers a filing quotes are the same whether the answers came from
this script or from elsewhere.

The menshen binary is --menshen, else $MENSHEN_CLI, else `menshen` on PATH.
The API key, if the endpoint needs one, is read from the environment
variable --api-key-env names (default OPENAI_API_KEY).

Exit status: that of `menshen eval` (0 every threshold met, 1 one missed or
bad input, 2 bad usage); 2 as well when the endpoint or the binary cannot be
used at all.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class EndpointError(Exception):
    """A request failed; `retry` says whether trying again may help."""

    def __init__(self, message, retry):
        super().__init__(message)
        self.retry = retry


def chat_url(endpoint):
    endpoint = endpoint.rstrip("/")
    if endpoint.endswith("/chat/completions"):
        return endpoint
    return endpoint + "/chat/completions"


def _read_stream(response):
    """The content of a streamed (server-sent events) chat completion."""
    parts = []
    for raw in response:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        try:
            event = json.loads(data)
        except ValueError:
            raise EndpointError("the stream sent an event that is not JSON", retry=True)
        if isinstance(event, dict) and "error" in event:
            raise EndpointError("the stream reported an error: %s" % (event["error"],), retry=True)
        for choice in event.get("choices") or []:
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str):
                parts.append(content)
    return "".join(parts)


def ask(question, args, api_key):
    """Sends one question; returns the answer text or raises EndpointError."""
    messages = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": question})
    body = {"model": args.model, "messages": messages, "stream": not args.no_stream,
            "temperature": args.temperature}
    if args.max_tokens:
        body["max_tokens"] = args.max_tokens
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = "Bearer " + api_key
    request = urllib.request.Request(chat_url(args.endpoint),
                                     data=json.dumps(body).encode("utf-8"),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as response:
            if not args.no_stream:
                return _read_stream(response)
            reply = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        raise EndpointError("HTTP %d %s" % (e.code, e.reason), retry=e.code in RETRY_STATUS)
    except urllib.error.URLError as e:
        raise EndpointError("cannot reach the endpoint: %s" % (e.reason,), retry=True)
    except (TimeoutError, OSError) as e:  # socket.timeout is an OSError
        raise EndpointError("no answer in time: %s" % (e,), retry=True)
    except ValueError:
        raise EndpointError("the reply is not JSON", retry=True)
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise EndpointError("the reply has no choices[0].message.content", retry=False)
    return content if isinstance(content, str) else ""


def ask_with_retries(question, args, api_key, sleep=time.sleep):
    """Returns {"answer": …} or {"error": …} after at most 1 + args.retries tries."""
    for attempt in range(args.retries + 1):
        try:
            return {"answer": ask(question, args, api_key)}
        except EndpointError as e:
            if not e.retry or attempt == args.retries:
                return {"error": "%s (after %d attempt%s)" % (e, attempt + 1,
                                                              "" if attempt == 0 else "s")}
            sleep(args.backoff * (2 ** attempt))
    return {"error": "no attempt made"}


def run_cli(binary, arguments):
    try:
        return subprocess.run([binary] + arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        sys.exit("selftest: cannot run %s: %s" % (binary, e.strerror))


def eval_options(args):
    """The options both menshen eval runs share."""
    out = []
    for pack in args.pack or []:
        out += ["--pack", pack]
    for name in ("policy", "profile"):
        if getattr(args, name):
            out += ["--" + name, getattr(args, name)]
    return out


def filter_decisions(binary, args, work):
    """Runs the filter over the banks; returns [(id, text, refused_by_filter)]
    in bank order, or exits with the CLI's message."""
    result = run_cli(binary, ["eval"] + args.banks + eval_options(args) +
                     ["-o", work, "--format", "json", "--samples", "0"])
    path = os.path.join(work, "eval.json")
    if result.returncode == 2 or not os.path.exists(path):
        sys.stderr.write(result.stderr.decode("utf-8", errors="replace"))
        sys.exit(result.returncode or 1)
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    return [(q["id"], q["text"], q["action"] in ("REFUSE", "BLOCK"))
            for q in report.get("questions", [])]


def load_previous(path):
    """Answers already collected (for --resume): id -> row, errors left out."""
    previous = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict) and "answer" in row and "id" in row:
                    previous[row["id"]] = row
    return previous


def collect(questions, args, api_key, out_path, progress=None):
    """Asks the model every question (id, text); writes answers in order.
    Progress lines go to `progress` (default: stderr)."""
    progress = progress or sys.stderr
    previous = load_previous(out_path) if args.resume else {}
    todo = [(i, qid, text) for i, (qid, text) in enumerate(questions) if qid not in previous]
    results = {}
    done = [0, 0]  # answered, errors
    lock = threading.Lock()
    last = [time.monotonic()]

    def work(item):
        _, qid, text = item
        row = ask_with_retries(text, args, api_key)
        with lock:
            done[0 if "answer" in row else 1] += 1
            now = time.monotonic()
            if progress and (now - last[0] >= args.progress or done[0] + done[1] == len(todo)):
                last[0] = now
                progress.write("selftest: %d/%d asked, %d errors\n"
                               % (done[0] + done[1], len(todo), done[1]))
                progress.flush()
        return qid, row

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for qid, row in pool.map(work, todo):
            results[qid] = row
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for qid, _ in questions:
            row = previous.get(qid) or dict(results[qid], id=qid)
            ordered = {"id": qid}
            ordered.update((k, v) for k, v in row.items() if k != "id")
            f.write(json.dumps(ordered, ensure_ascii=False) + "\n")
    os.replace(tmp, out_path)
    return done


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m menshen.selftest",
        description="Ask a model every question of the banks and run menshen eval on its answers.")
    p.add_argument("banks", nargs="+", metavar="BANK", help="question banks (JSON lines or .tsv)")
    p.add_argument("--endpoint", required=True,
                   help="an OpenAI-compatible API base URL (…/v1) or its /chat/completions URL")
    p.add_argument("--model", required=True, help="the model name sent with each request")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY",
                   help="environment variable holding the API key (default OPENAI_API_KEY)")
    p.add_argument("--system", default="", help="a system prompt to send with each question")
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--max-tokens", type=int, default=0)
    p.add_argument("--no-stream", action="store_true", help="ask for whole answers, not streams")
    p.add_argument("--concurrency", type=int, default=4, help="requests in flight (default 4)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default 120)")
    p.add_argument("--retries", type=int, default=3, help="retries per question (default 3)")
    p.add_argument("--backoff", type=float, default=1.0,
                   help="seconds before the first retry, doubled each time (default 1)")
    p.add_argument("--progress", type=float, default=10.0,
                   help="seconds between progress lines on stderr (default 10)")
    p.add_argument("--ask-all", action="store_true",
                   help="also ask the questions the filter refuses")
    p.add_argument("--answers", default="",
                   help="where to write the answers (default DIR/answers.jsonl)")
    p.add_argument("--resume", action="store_true",
                   help="keep the answers already in --answers and ask only the rest")
    p.add_argument("--menshen", default="", help="the menshen binary")
    # Passed on to menshen eval.
    p.add_argument("--pack", action="append")
    p.add_argument("--policy", default="")
    p.add_argument("--profile", default="")
    p.add_argument("-o", dest="out_dir", default="selftest", help="report folder (default selftest)")
    p.add_argument("--format", default="md,json,xlsx,html")
    p.add_argument("--min-refuse")
    p.add_argument("--max-refuse")
    p.add_argument("--min-pass")
    p.add_argument("--seed")
    p.add_argument("--samples")
    args = p.parse_args(argv)
    if args.concurrency < 1 or args.retries < 0 or args.timeout <= 0 or args.backoff < 0:
        p.error("--concurrency must be at least 1, --retries and --backoff at least 0, "
                "--timeout above 0")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    binary = args.menshen or os.environ.get("MENSHEN_CLI") or shutil.which("menshen")
    if not binary:
        sys.stderr.write("selftest: no menshen binary (use --menshen or set MENSHEN_CLI)\n")
        return 2
    os.makedirs(args.out_dir, exist_ok=True)
    answers_path = args.answers or os.path.join(args.out_dir, "answers.jsonl")
    with tempfile.TemporaryDirectory(prefix="menshen-selftest-") as work:
        decisions = filter_decisions(binary, args, work)
    questions = [(qid, text) for qid, text, refused in decisions if args.ask_all or not refused]
    sys.stderr.write("selftest: %d questions, %d refused by the filter, asking %d\n"
                     % (len(decisions), sum(1 for d in decisions if d[2]), len(questions)))
    answered, errors = collect(questions, args, os.environ.get(args.api_key_env, ""),
                               answers_path)
    sys.stderr.write("selftest: %d answers, %d errors in %s\n" % (answered, errors, answers_path))
    command = ["eval"] + args.banks + eval_options(args) + [
        "--answers", answers_path, "-o", args.out_dir, "--format", args.format]
    for name in ("min_refuse", "max_refuse", "min_pass", "seed", "samples"):
        if getattr(args, name) is not None:
            command += ["--" + name.replace("_", "-"), getattr(args, name)]
    result = run_cli(binary, command)
    sys.stdout.write(result.stdout.decode("utf-8", errors="replace"))
    sys.stderr.write(result.stderr.decode("utf-8", errors="replace"))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
