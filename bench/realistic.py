"""Libraries shaped like real dream sites: title families, hubs, stubs that resemble written dreams.

    python bench/generate.py 1000 /tmp/library                  # the realistic shape (the default)

What makes a real library different from word salad, and is built in here:

- clusters named in prose ("The being chased cluster …"), each with a hub article titled by the cluster's
  head phrase ("Dream About Being Chased"), and a ring of neighbouring clusters it links to most;
- title families: "being chased by a dog / a bear / a stranger", "teeth falling out / teeth crumbling",
  drawn from one symbol vocabulary used with Zipf-like frequencies (a few symbols everywhere, most rare);
- 2-5 next stages per article, about 85% to written dreams (mostly its own cluster and its hub), the rest
  to stubs of the same family, many of which resemble a written title ("being chased by dogs");
- prose of function words and some 2,300 word forms in Zipf-like use (so a three-word run is shared by
  few articles, as in real prose, and a near-duplicate stands out);
- 3-5% near-duplicate articles (the Quick Answer and scenarios of another article, lightly changed),
  1-2% pages cut off mid-sentence, a third in Markdown (some with front-matter aliases), `•` bullets;
- the same seed always gives the same files.
"""

from __future__ import annotations

import random
from itertools import accumulate
from pathlib import Path

THEMES = (
    ("being chased", "by"), ("falling", "from"), ("drowning", "in"), ("flying", "over"), ("losing teeth", "while"),
    ("being late", "for"), ("being lost", "in"), ("being naked", "in"), ("taking an exam", "about"),
    ("a house", "with"), ("water", "in"), ("snakes", "in"), ("death", "of"), ("a wedding", "with"),
    ("being trapped", "in"), ("fire", "in"), ("a storm", "over"), ("being pregnant", "with"),
    ("a car", "with"), ("a baby", "in"), ("spiders", "in"), ("an ex", "at"), ("cheating", "with"),
    ("money", "in"), ("a dog", "in"), ("a cat", "in"), ("a school", "with"), ("a hospital", "with"),
    ("a funeral", "of"), ("an earthquake", "in"), ("being shot", "by"), ("paralysis", "in"), ("a tornado", "over"),
    ("blood", "on"), ("hair falling out", "while"), ("an elevator", "in"), ("a train", "to"), ("a plane", "over"),
    ("a bridge", "over"), ("stairs", "in"), ("a mirror", "in"), ("a stranger", "in"), ("a celebrity", "at"),
    ("ghosts", "in"), ("zombies", "in"), ("an intruder", "in"), ("a fight", "with"), ("war", "in"),
    ("the ocean", "with"), ("a forest", "with"), ("a door", "to"), ("a key", "to"), ("a phone", "with"),
    ("shoes", "in"), ("a ring", "from"), ("a party", "with"), ("work", "with"), ("a boss", "at"),
    ("a mother", "in"), ("a father", "in"),
)
PLACES = ("at night", "at work", "in childhood", "in the city", "by the sea", "in winter", "at home", "abroad")
SYMBOLS = (
    "a dog", "a stranger", "a snake", "water", "a house", "a car", "a child", "a killer", "a bear", "a storm",
    "a school", "a mother", "a friend", "a train", "a door", "fire", "a forest", "a river", "a bridge", "a mirror",
    "a wolf", "a spider", "a ghost", "a teacher", "a crowd", "a hospital", "a church", "an ocean", "a tunnel", "a cave",
    "a lake", "a mountain", "a tower", "a window", "a garden", "a field", "a market", "a hallway", "an elevator",
    "a boat", "an island", "a desert", "a horse", "a bird", "a clock", "a key", "a phone", "a letter", "a ring",
    "a shoe", "a coat", "a bag", "a knife", "a gun", "a police officer", "a neighbour", "a brother", "a sister",
    "a baby", "a cat", "a rat", "a shark", "a lion", "a tiger", "an alligator", "a bee", "a crow", "an owl",
    "a monster", "a clown", "a doll", "a soldier", "a priest", "a doctor", "a nurse", "a pilot", "a stairway",
    "a basement", "an attic", "a bathroom", "a kitchen", "a bedroom", "a classroom", "an office", "a prison",
    "a cemetery", "a hotel", "an airport", "a station", "a highway", "a beach", "a pool", "a bath", "the dark",
    "the moon", "the sun", "the sky", "a volcano", "a flood", "a wave", "ice", "snow", "rain", "mud", "sand",
)
CHANGES = (("falling out", "crumbling"), ("a ", "the "), (" a ", " two "), ("being ", "getting "))
WORDS = ("the", "effort", "movement", "fear", "waking", "life", "pattern", "moment", "body", "distance", "threat",
         "ground", "light", "voice", "memory", "choice", "pressure", "change", "loss", "trust", "control", "habit",
         "relationship", "project", "decision", "silence", "shame", "hope", "signal", "surface", "weight", "room",
         "attention", "family", "future", "past", "work", "promise", "boundary", "grief", "anger", "desire", "rest")


# The prose: a few function words everywhere, then some 2,300 word forms in Zipf-like use, as real prose
# has (drawn uniformly from the 43 words above, three-word runs repeated across a large library so often
# that at 100,000 articles the near-duplicate rule took them all for boilerplate and found none).
FUNCTION_WORDS = ("the", "of", "and", "a", "to", "in", "is", "it", "that", "with", "as", "for", "on", "at", "by",
                  "from", "not", "but", "when", "you")
_BASES = [word for word in WORDS if word != "the"]
_FORMS = [prefix + word + suffix for word in _BASES
          for prefix in ("", "un", "re", "over", "under", "half", "fore")
          for suffix in ("", "s", "ing", "ed", "ful", "less", "ness", "ly") if prefix or suffix]
random.Random(0).shuffle(_BASES)
random.Random(0).shuffle(_FORMS)
PROSE = FUNCTION_WORDS + tuple(_BASES) + tuple(_FORMS)  # by rank: the plain words before their forms
_PROSE_WEIGHTS = list(accumulate(1 / rank for rank in range(1, len(PROSE) + 1)))  # cumulative, 1/rank each


def _zipf(rng: random.Random, items, exponent: float = 1.05):
    weights = [1 / (rank + 1) ** exponent for rank in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def _sentence(rng: random.Random, words: int, symbol: str | None = None) -> str:
    chosen = rng.choices(PROSE, cum_weights=_PROSE_WEIGHTS, k=words)
    if symbol:
        chosen.insert(rng.randrange(len(chosen)), symbol)
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + "."


# How a theme recurs, for the cluster heads of a large library: a theme is at most three words and these
# at most two, so a head stays within the five words the article format reads as a cluster's name.
MANNERS = ("again", "alone", "twice", "slowly", "forever", "backwards", "at dawn", "at dusk", "at noon",
           "at sunset", "in silence", "in colour", "in daylight", "in spring", "in summer", "in autumn",
           "half awake", "with friends", "with family", "with strangers", "without sound", "without end",
           "every night", "every week", "once more", "far away", "long ago", "years later", "right now",
           "after midnight", "before dawn", "underground", "upside down", "in reverse", "on holiday", "on repeat")


def _clusters(count: int) -> list[tuple[str, str]]:
    """Return ``count`` cluster heads with their preposition: the themes, the themes in places, then the
    themes in the manners they recur ("being chased again"), then numbered."""
    heads = [(theme, prep) for theme, prep in THEMES]
    for place in PLACES:
        heads += [(f"{theme} {place}", prep) for theme, prep in THEMES]
    for manner in MANNERS:
        heads += [(f"{theme} {manner}", prep) for theme, prep in THEMES]
    while len(heads) < count:
        heads += [(f"{h} {len(heads)}", p) for h, p in heads[: count - len(heads)]]
    return heads[:count]


def plan(count: int, seed: int = 1) -> list[dict]:
    """Return the library's articles as plans: title name, cluster, next stages and quirks."""
    rng = random.Random(seed)
    cluster_count = max(1, round(count / 45))
    heads = _clusters(cluster_count)
    members: list[list[str]] = [[head] for head, _ in heads]  # each cluster's hub first
    cluster_of = {head: c for c, (head, _) in enumerate(heads)}
    written = [head for head, _ in heads][:count]
    while len(written) < count:
        c = min(int(rng.paretovariate(1.3)) - 1, cluster_count - 1) if rng.random() < 0.3 else rng.randrange(cluster_count)
        head, prep = heads[c]
        name = f"{head} {prep} {_zipf(rng, SYMBOLS)}"
        if name in cluster_of:
            continue
        cluster_of[name] = c
        members[c].append(name)
        written.append(name)
    written_set = set(written)
    stubs: list[list[str]] = [[] for _ in heads]
    for c, (head, prep) in enumerate(heads):
        for _ in range(max(1, round(len(members[c]) * rng.uniform(0.1, 0.3)))):
            if rng.random() < 0.35 and len(members[c]) > 1:  # resembles a written title
                base = rng.choice(members[c][1:])
                old, new = rng.choice(CHANGES)
                name = base.replace(old, new, 1) if old in base else base + "s"
            else:
                name = f"{head} {prep} {rng.choice(SYMBOLS)}"
            if name not in written_set and name not in stubs[c]:
                stubs[c].append(name)
    plans = []
    for index, name in enumerate(written):
        c = cluster_of[name]
        own = [m for m in members[c] if m != name]
        neighbours = [(c + d) % cluster_count for d in (1, -1, 2, -2)] if cluster_count > 1 else [c]
        stages: list[str] = []
        for _ in range(rng.choice((2, 2, 3, 3, 3, 4, 5))):
            roll = rng.random()
            if roll < 0.13 and stubs[c]:
                stages.append(rng.choice(stubs[c]))
            elif roll < 0.35 and name != heads[c][0]:
                stages.append(heads[c][0])  # back to the hub
            elif roll < 0.72 and own:
                stages.append(rng.choice(own))
            else:
                other = rng.choice(neighbours) if rng.random() < 0.8 else rng.randrange(cluster_count)
                stages.append(rng.choice(members[other]))
        plans.append({"index": index, "name": name, "cluster": heads[c][0], "hub": name == heads[c][0],
                      "stages": list(dict.fromkeys(s for s in stages if s != name)),
                      "markdown": rng.random() < 0.33, "duplicate_of": None, "cut": rng.random() < 0.015,
                      "symbol": name.rsplit(" ", 2)[-1] if " " in name else name})
    for p in plans:  # near-duplicates: an article that copies another of its cluster
        if not p["hub"] and rng.random() < 0.04:
            siblings = [q for q in plans if q["cluster"] == p["cluster"] and q is not p and not q["hub"]]
            if siblings:
                p["duplicate_of"] = rng.choice(siblings)["index"]
    return plans


def _article(plan: dict, plans: list[dict], rng: random.Random, seed: int) -> str:
    name, cluster, symbol = plan["name"], plan["cluster"], plan["symbol"]
    source = plans[plan["duplicate_of"]] if plan["duplicate_of"] is not None else None
    # The Quick Answer and scenarios come from a generator of their own, so a near-duplicate repeats them.
    content = random.Random(seed * 7919 + (source or plan)["index"])
    content_symbol = (source or plan)["symbol"]
    nouns = [w for w in WORDS if w != "the"]
    title = f"Dream About {name[0].upper() + name[1:]}: The {rng.choice(nouns).title()} of {rng.choice(nouns).title()}"
    md = plan["markdown"]
    bullet = "* " if md and rng.random() < 0.5 else "• " if rng.random() < 0.15 else "- "
    arrow = " -> " if md else " → "

    def text_of(r, words, sym=None):
        return _sentence(r, words, sym)

    intro = [text_of(rng, 20, symbol) for _ in range(3)]
    quick = [text_of(content, 16, content_symbol) for _ in range(5)]
    scenarios = [f"{text_of(content, 7, content_symbol)[:-1]}{arrow}{text_of(content, 12)[:-1].lower()}" for _ in range(5)]
    if source:
        quick[0] = text_of(rng, 16, symbol)  # lightly changed
    sensations = [f"{text_of(rng, 8)[:-1]}{arrow}{text_of(rng, 9)[:-1].lower()}" for _ in range(4)]
    h = "## " if md else ""
    lines = []
    if md:
        if rng.random() < 0.3:
            lines += ["---", f"aliases: [\"{name} dream\"]", "---", ""]
        lines += [f"# {title}", ""]
    else:
        lines.append(title)
    lines += intro
    lines += [f"{h}Quick Answer", *[bullet + q for q in quick]]
    lines += [f"{h}Common Scenarios", *[bullet + s for s in scenarios]]
    lines += [f"{h}What the Body Registered", *[bullet + s for s in sensations]]
    lines += [f"{h}What the Dream Is Pointing At",
              f"The {cluster} cluster gathers {text_of(rng, 10).lower()}", text_of(rng, 28, symbol), text_of(rng, 24)]
    lines += [f"{h}When This Dream Arrives", text_of(rng, 22), text_of(rng, 18, symbol)]
    lines += [f"{h}The Sentence This Dream Was Trying to Say", f"“{text_of(rng, 14)}”", f"{h}FAQ"]
    for _ in range(3):
        question, answer = text_of(rng, 8, symbol)[:-1] + "?", text_of(rng, 30)
        lines += [f"**{question}** {answer}"] if md else [f"{question} {answer}"]
    if plan["stages"]:
        lines.append(f"{h}Next Stages")
        for target in plan["stages"]:
            lines.append(f"{bullet if md else ''}If {text_of(rng, 9)[:-1].lower()}{arrow}dream about {target} meaning"
                         f" — when {text_of(rng, 9)[:-1].lower()}")
    text = "\n".join(lines) + "\n"
    if plan["cut"]:  # a page saved half-loaded: cut mid-sentence in its second half
        cut = rng.randrange(len(text) // 2, len(text) - 20)
        while cut < len(text) and text[cut] not in " ":
            cut += 1
        text = text[:cut].rstrip(" .") + " and"
    return text


def generate_realistic(count: int, folder: Path, seed: int = 1) -> list[Path]:
    """Write a realistic library of ``count`` articles into ``folder``; return the paths written."""
    plans = plan(count, seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in plans:
        rng = random.Random(seed * 1_000_003 + p["index"])
        path = folder / f"{p['index']:06d}.{'md' if p['markdown'] else 'txt'}"
        path.write_text(_article(p, plans, rng, seed), encoding="utf-8")
        paths.append(path)
    return paths
