#!/usr/bin/env python3
"""Writes the IOI prompt set (indirect object identification, Wang et al. 2022)
shipped as resources/prompt_sets/ioi.csv: for each template and pair of names,
the clean prompt names the indirect object (IO) once and the subject (S) twice
and should be completed with IO; the corrupted prompt repeats IO instead of S
(as TransformerLens's IOI demo corrupts), which points to S. Columns: clean,
corrupted, answer (" IO"), wrong (" S"), template. Every name is one token with
its leading space in GPT-2-style BPE vocabularies (checked by Glassbox when it
loads the set for a model), so the two prompts of a row have the same length.

    python3 tests/reference/make_ioi_prompt_set.py [--out resources/prompt_sets/ioi.csv] [--pairs 8] [--seed 0]
"""
import argparse
import csv
import random

TEMPLATES = [
    "When {IO} and {S} went to the store, {S} gave a drink to",
    "When {IO} and {S} went to the park, {S} gave a ball to",
    "After {IO} and {S} went to the office, {S} handed a letter to",
    "Then, {S} and {IO} had a long argument, and afterwards {S} said to",
    "While {IO} and {S} were working at the school, {S} gave a book to",
    "When {S} and {IO} got a snack at the cafe, {S} decided to give it to",
]
NAMES = ["Mary", "John", "Tom", "James", "Sarah", "Anna", "David", "Paul", "Kate", "Mark", "Lisa", "Peter"]


def rows(pairs, seed):
    rng = random.Random(seed)
    for t, template in enumerate(TEMPLATES):
        for _ in range(pairs):
            io, s = rng.sample(NAMES, 2)
            clean = template.format(IO=io, S=s)
            # Only the second mention of S changes: the corrupted prompt's repeated name is IO.
            first_s = template.index("{S}")
            second = template.index("{S}", first_s + 1)
            corrupted = (template[:second] + "{IO}" + template[second + 3:]).format(IO=io, S=s)
            yield {"clean": clean, "corrupted": corrupted, "answer": " " + io, "wrong": " " + s, "template": t}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="resources/prompt_sets/ioi.csv")
    parser.add_argument("--pairs", type=int, default=8, help="name pairs per template")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["clean", "corrupted", "answer", "wrong", "template"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows(args.pairs, args.seed))


if __name__ == "__main__":
    main()
