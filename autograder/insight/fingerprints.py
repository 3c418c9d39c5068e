"""The arithmetic of autograder.insight.similarity: fingerprints of one text (copydetect's primitives for code,
word k-grams for written answers), and the rarity-weighted overlap of every pair of students in one part.
Imported only when pairs are looked for (copydetect imports matplotlib)."""

import hashlib
import re
from dataclasses import dataclass

import numpy as np
from copydetect.utils import filter_code, get_copied_slices, winnow

# copydetect's own hashed_kgrams uses Python's hash(), salted anew in each process: which k-grams winnowing
# keeps, and so every score, would change from one run to the next. These hashes are the same in every run.
_BASE = np.uint64(1_000_003)


def kgram_hashes(string, k):
    """A polynomial hash (mod 2**64) of every k characters of `string`, as int64: one per start position."""
    codes = np.frombuffer(string.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    powers = _BASE ** np.arange(k - 1, -1, -1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.lib.stride_tricks.sliding_window_view(codes, k) @ powers
        # splitmix64's finaliser: winnowing keeps each window's least hash, which must not favour some characters
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return (z ^ (z >> np.uint64(31))).view(np.int64)


def _stable_hash(text):
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


@dataclass
class Fingerprints:
    """One text's fingerprints: hashes (int64, one per kept k-gram), where each begins in token units
    (starts), and how to turn token slices into character spans of the original text."""

    hashes: np.ndarray
    starts: np.ndarray
    k: int
    to_chars: object  # (2, s) token slices -> (2, s) character spans

    def spans(self, shared):
        """[(start, end)] character spans of the original text covered by the k-grams whose hash is in shared."""
        idx = self.starts[np.isin(self.hashes, shared)]
        if idx.size == 0:
            return []
        return [tuple(map(int, span)) for span in self.to_chars(get_copied_slices(idx, self.k)).T]


def code_fingerprints(text, k, window):
    """Winnowed k-grams of the name-blind token string copydetect's filter_code makes of `text`."""
    filtered, offsets = filter_code(text, "cell.py", language="python")

    def to_chars(slices):  # characters filtered away before each token position, added back
        if len(offsets) == 0:
            return slices
        shift = offsets[:, 1][np.clip(np.searchsorted(offsets[:, 0], slices), 0, offsets.shape[0] - 1)]
        return np.minimum(slices + shift, len(text))

    if len(filtered) < k:
        return Fingerprints(np.zeros(0, np.int64), np.zeros(0, np.int64), k, to_chars)
    hashes, starts = winnow(kgram_hashes(filtered, k), window, remove_duplicates=False)
    return Fingerprints(np.asarray(hashes, np.int64), np.asarray(starts, np.int64), k, to_chars)


WORD = re.compile(r"[^\W_]+")


def text_fingerprints(text, k, window):
    """Winnowed word k-grams of `text` lower-cased with punctuation dropped."""
    words = [(m.group(0).lower(), m.start(), m.end()) for m in WORD.finditer(text)]
    grams = [_stable_hash(" ".join(w for w, _, _ in words[i:i + k])) for i in range(len(words) - k + 1)]
    word_starts = np.array([s for _, s, _ in words] or [0])
    word_ends = np.array([e for _, _, e in words] or [0])

    def to_chars(slices):  # word slices [first, last + 1) -> character spans
        return np.array([word_starts[slices[0]], word_ends[np.maximum(slices[1] - 1, 0)]])

    if not grams:
        return Fingerprints(np.zeros(0, np.int64), np.zeros(0, np.int64), k, to_chars)
    hashes, starts = winnow(np.array(grams, np.int64), window, remove_duplicates=False)
    return Fingerprints(np.asarray(hashes, np.int64), np.asarray(starts, np.int64), k, to_chars)


def fingerprints(text, written, settings):
    """Fingerprints of one part's text (its first max_part_chars characters)."""
    text = text[:settings.max_part_chars]
    if written:
        return text_fingerprints(text, settings.word_k, settings.word_window)
    return code_fingerprints(text, settings.code_k, settings.code_window)


def part_matrices(prints, boilerplate, power):
    """For one part, {student: Fingerprints} -> (students, shared, material): shared[i, j] (float32, n x n) the
    rarity-weighted fingerprints students i and j have in common, material[i] student i's own total (one
    that nobody else has weighs 1); a fingerprint in `boilerplate` (int64 hashes) weighs 0."""
    students = sorted(prints)
    unique = [np.unique(prints[s].hashes) for s in students]
    if not students or not sum(u.size for u in unique):
        return students, None, None
    hashes, column = np.unique(np.concatenate(unique), return_inverse=True)
    row = np.repeat(np.arange(len(students)), [u.size for u in unique])
    present = np.zeros((len(students), hashes.size), np.float32)
    present[row, column] = 1.0
    count = present.sum(axis=0)
    weight = np.minimum(1.0, 2.0 / count) ** power
    weight[np.isin(hashes, boilerplate)] = 0.0
    shared = (present * weight) @ present.T
    return students, shared, present @ weight


def rare_outputs(outputs, limit):
    """{(a, b): [exercise]} for each digest of a wrong output that 2..limit students share."""
    holders = {}
    for student, digests in (outputs or {}).items():
        for exercise, digest in (digests or {}).items():
            if digest:
                holders.setdefault((exercise, digest), []).append(student)
    pairs = {}
    for (exercise, _), students in sorted(holders.items()):
        if 2 <= len(students) <= limit:
            for i, a in enumerate(sorted(students)):
                for b in sorted(students)[i + 1:]:
                    pairs.setdefault((a, b), []).append(exercise)
    return pairs
