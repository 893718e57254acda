"""Classifier benchmark: start-up, per-message latency, batch throughput, peak memory.

Prints figures; asserts nothing (shared machines are noisy). Run:
    python benchmarks/classify.py
Each start-up is measured in a fresh interpreter: "cold" fits the model with scikit-learn,
"warm" loads the content-keyed array cache, as a restarted bot does.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_STARTUP = """
import time, resource, json, sys
t0 = time.perf_counter()
from pathlib import Path
from bot.conversation import Conversation
conversation = Conversation.open(Path(sys.argv[1]), Path(sys.argv[2]))
conversation.ask("are there direct flights to Seoul?", "en")
elapsed = time.perf_counter() - t0
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
fit_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # bot.fitting's child
print(json.dumps({"seconds": elapsed, "rss_mb": rss_mb, "fit_mb": fit_mb}))
"""

_LATENCY = """
import time, resource, json, sys, statistics
from pathlib import Path
import yaml
from bot.conversation import Conversation
conversation = Conversation.open(Path(sys.argv[1]), Path(sys.argv[2]))
texts = []
for name in ("eval_en.yaml", "eval_az.yaml", "eval_ru.yaml", "eval_ko.yaml"):
    texts += [item["text"] for item in yaml.safe_load((Path(sys.argv[3]) / name).read_text())]
for item in yaml.safe_load((Path(sys.argv[3]) / "dialogues_dev.yaml").read_text()):
    texts += [item["first"], item["second"]]  # Latin-typed Russian, Azerbaijani without diacritics
# Language identification, the Cyrillic reading of Latin-typed Russian, then the classifier.
predict = conversation.classify
for text in texts:  # warm-up
    predict(text)
samples = []
for _ in range(int(sys.argv[4])):
    for text in texts:
        start = time.perf_counter_ns()
        predict(text)
        samples.append(time.perf_counter_ns() - start)
samples.sort()
start = time.perf_counter()
rounds = 5
for _ in range(rounds):
    for text in texts:
        predict(text)
throughput = rounds * len(texts) / (time.perf_counter() - start)
print(json.dumps({
    "messages": len(texts),
    "p50_us": samples[len(samples) // 2] / 1000,
    "p99_us": samples[int(len(samples) * 0.99)] / 1000,
    "throughput": throughput,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

_SKLEARN = """
import time, json, sys
from pathlib import Path
import yaml
from bot.content import load
from bot.classifier import fit_sklearn, sklearn_features
content = load(Path(sys.argv[1]))
word, char, model = fit_sklearn(content)
texts = [item["text"] for item in yaml.safe_load((Path(sys.argv[2]) / "eval_en.yaml").read_text())]
samples = []
for text in texts * 3:
    start = time.perf_counter_ns()
    model.predict_proba(sklearn_features(word, char, [text]))
    samples.append(time.perf_counter_ns() - start)
samples.sort()
start = time.perf_counter()
model.predict_proba(sklearn_features(word, char, texts * 5))
batch = len(texts) * 5 / (time.perf_counter() - start)
print(json.dumps({"p50_us": samples[len(samples) // 2] / 1000, "batch": batch}))
"""


def _run(code: str, *args: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    """Run every measurement and print a table."""
    intents, data = str(ROOT / "intents"), str(ROOT / "data")
    with tempfile.TemporaryDirectory() as cache:
        cold = [_run(_STARTUP, intents, tempfile.mkdtemp(dir=cache)) for _ in range(3)]
        _run(_STARTUP, intents, cache)  # fill the cache
        warm = [_run(_STARTUP, intents, cache) for _ in range(5)]
        latency = _run(_LATENCY, intents, cache, data, "20")
    reference = _run(_SKLEARN, intents, data)
    cold_s = statistics.median(item["seconds"] for item in cold)
    warm_s = statistics.median(item["seconds"] for item in warm)
    print("classifier benchmark (medians; one machine, one run)")
    print(f"  start-up, cold (import, load, validate, fit): {cold_s * 1000:8.0f} ms")
    print(f"  start-up, warm (import, load, validate, cached arrays): {warm_s * 1000:8.0f} ms")
    print(
        f"  per-message latency p50: {latency['p50_us']:8.0f} µs  "
        f"({int(latency['messages'])} messages x 20)"
    )
    print(f"  per-message latency p99: {latency['p99_us']:8.0f} µs")
    print(f"  sequential throughput: {latency['throughput']:8.0f} messages/s")
    print(
        f"  peak RSS: cold start {max(item['rss_mb'] for item in cold):.0f} MB "
        f"(its fitting child process {max(item['fit_mb'] for item in cold):.0f} MB), "
        f"warm start {max(item['rss_mb'] for item in warm):.0f} MB, "
        f"latency run {latency['rss_mb']:.0f} MB"
    )
    print(
        f"  reference, scikit-learn predict_proba per message p50: {reference['p50_us']:8.0f} µs "
        f"(fast path is {reference['p50_us'] / latency['p50_us']:.1f}x quicker)"
    )
    print(f"  reference, scikit-learn batch throughput: {reference['batch']:8.0f} messages/s")


if __name__ == "__main__":
    main()
