"""Deterministic synthetic article libraries in the article format, for benchmarks and scale tests.

    python bench/generate.py 10000 /tmp/library                 # 10,000 articles shaped like a real site
    python bench/generate.py 10000 /tmp/library --shape random  # the older word-salad library
    python bench/generate.py 2000 /tmp/library --shape families # numbered variants: the worst case for names

The realistic shape (bench/realistic.py, the default) has title families, hubs, stubs that resemble
written dreams, near-duplicates and cut-off pages. The random shape is described below.

Each article has the seed's sections at realistic sizes (5 Quick Answer items, 5 scenarios, 4 sensations,
free-form sections, a cluster named in prose, The Sentence, 3 FAQ entries) and 0-3 Next Stages: to written
dreams (often in the same cluster of about 50, which makes loops) and to unwritten ones (stubs). The same
seed always gives the same files.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

VERBS = ("falling", "running", "flying", "drowning", "hiding", "searching", "losing", "finding", "climbing",
         "sinking", "chasing", "calling", "waiting", "breaking", "carrying", "crossing", "dancing", "forgetting",
         "holding", "leaving", "missing", "opening", "reaching", "shouting", "singing", "sleeping", "speaking",
         "swimming", "walking", "watching", "burning", "building", "counting", "digging", "driving", "eating",
         "fixing", "hunting", "kneeling", "knocking")
ADJECTIVES = ("red", "broken", "silent", "endless", "hidden", "golden", "empty", "frozen", "burning", "narrow",
              "ancient", "bright", "crowded", "dark", "distant", "false", "gentle", "heavy", "hollow", "locked",
              "lost", "missing", "old", "open", "pale", "quiet", "rising", "rusted", "shallow", "sharp", "small",
              "strange", "sunken", "tall", "twisted", "wet", "white", "wild", "wooden", "young", "bitter", "blue",
              "cold", "deep", "dusty", "faint", "glass", "green", "grey", "iron")
NOUNS = ("house", "door", "river", "bridge", "stair", "car", "train", "school", "forest", "mirror", "ocean",
         "road", "tower", "window", "garden", "field", "hospital", "church", "market", "tunnel", "cave", "lake",
         "mountain", "city", "room", "hallway", "elevator", "boat", "island", "desert", "storm", "fire", "snake",
         "dog", "horse", "bird", "child", "stranger", "teacher", "mother", "father", "friend", "clock", "key",
         "phone", "letter", "ring", "shoe", "coat", "bag")
WORDS = ("the", "effort", "movement", "fear", "waking", "life", "pattern", "moment", "body", "distance", "threat",
         "ground", "light", "voice", "memory", "choice", "pressure", "change", "loss", "trust", "control", "habit",
         "relationship", "project", "decision", "silence", "shame", "hope", "signal", "surface", "weight", "room")


def dream_names(count: int, rng: random.Random) -> list[str]:
    """Return ``count`` distinct dream names such as "climbing a broken stair" (past 100,000 names, some
    get a second adjective: "climbing a broken narrow stair")."""
    combos = [(v, a, n) for v in VERBS for a in ADJECTIVES for n in NOUNS]
    rng.shuffle(combos)
    names = [f"{v} a {a} {n}" for v, a, n in combos[:count]]
    seen = set(names)
    while len(names) < count:
        first, second = rng.sample(ADJECTIVES, 2)
        name = f"{rng.choice(VERBS)} a {first} {second} {rng.choice(NOUNS)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def sentence(rng: random.Random, words: int = 14) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def article_text(name: str, cluster: str, next_stages: list[str], rng: random.Random) -> str:
    """Return one article in the seed's plain-text layout."""
    title = f"Dream About {name.title()}: The {rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()}"
    lines = [title, *(sentence(rng, 20) for _ in range(4)), "Quick Answer"]
    lines += [f"- {sentence(rng, 18)}" for _ in range(5)]
    lines.append("Common Scenarios")
    lines += [f"- {sentence(rng, 8)[:-1]} → {sentence(rng, 14)[:-1].lower()}" for _ in range(5)]
    lines.append("What the Body Registered")
    lines += [f"- {sentence(rng, 9)[:-1]} → {sentence(rng, 10)[:-1].lower()}" for _ in range(4)]
    lines += ["What the Dream Is Pointing At", f"The {cluster} cluster maps {sentence(rng, 12).lower()}"]
    lines += [sentence(rng, 30) for _ in range(3)]
    lines += ["When This Dream Arrives", *(sentence(rng, 25) for _ in range(3))]
    lines += ["The Sentence This Dream Was Trying to Say", f"“{sentence(rng, 16)}”", "FAQ"]
    lines += [f"{sentence(rng, 9)[:-1]}? {sentence(rng, 40)}" for _ in range(3)]
    if next_stages:
        lines.append("Next Stages")
        lines += [f"If {sentence(rng, 10)[:-1].lower()} → dream about {target} meaning — when {sentence(rng, 10)[:-1].lower()}"
                  for target in next_stages]
    return "\n".join(lines) + "\n"


def generate(count: int, folder: Path, seed: int = 1, shape: str = "realistic") -> list[Path]:
    """Write a library of ``count`` articles into ``folder`` (``shape`` realistic, random or families); return
    the paths."""
    if shape == "realistic":
        from realistic import generate_realistic

        return generate_realistic(count, folder, seed)
    if shape == "families":
        from families import generate_families

        return generate_families(count, folder, seed)
    rng = random.Random(seed)
    names = dream_names(count + count // 3 + 1, rng)
    written, unwritten = names[:count], names[count:]
    clusters = [f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}s" for _ in range(max(1, count // 50))]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, name in enumerate(written):
        group = index // 50
        cluster = clusters[min(group, len(clusters) - 1)]
        stages = []
        for _ in range(rng.choice((0, 1, 2, 2, 3, 3))):
            roll = rng.random()
            if roll < 0.5:  # a dream of the same cluster: makes loops
                stages.append(written[min(count - 1, group * 50 + rng.randrange(50))])
            elif roll < 0.8:
                stages.append(rng.choice(written))
            else:
                stages.append(rng.choice(unwritten))
        stages = list(dict.fromkeys(s for s in stages if s != name))
        path = folder / f"{index:06d}.txt"
        path.write_text(article_text(name, cluster, stages, rng), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shape", choices=("realistic", "random", "families"), default="realistic")
    args = parser.parse_args()
    print(f"wrote {len(generate(args.count, args.folder, args.seed, args.shape))} articles to {args.folder}")


if __name__ == "__main__":
    main()
