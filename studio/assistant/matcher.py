"""Retrieval by meaning: which approved question (or gig fact, or handoff topic) a message asks.

`Matcher` learns from labelled example texts and answers `decide(text) -> Match`,
the best label and a confidence in [0, 1]. The caller compares the confidence with
a threshold; below it, nothing approved answers the message and it is handed off.

Two modes, same interface:

- ``"nearest"``: the confidence is the highest cosine similarity between the message
  and any example of a label (sentence embeddings). Right for a creator's knowledge,
  where a label has one to a handful of example questions.
- ``"linear"``: a softmax (multinomial logistic regression) head over the sentence
  embedding concatenated with TF-IDF word uni- and bigrams, trained with L-BFGS;
  optional *reject* examples (things that must be handed off) form an extra class.
  The confidence is the highest in-scope class probability. Right when every label
  has many examples, as in the CLINC150 benchmark (`studio.assistant.clinc`).

Everything here is numpy/scipy; the encoder (`studio.assistant.embed`) is the only
part that touches torch.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import logsumexp

TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
REJECT = "__reject__"


@dataclass(frozen=True)
class Match:
    label: str | None  # None when the best guess is the reject class
    confidence: float
    runner_up: str | None = None


class TfIdf:
    """Word uni+bigram TF-IDF (sublinear tf, smoothed idf, L2-normalised rows)."""

    def __init__(self, min_df: int = 1):
        self.min_df = min_df
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0)

    @staticmethod
    def terms(text: str) -> list[str]:
        words = TOKEN_RE.findall(text.lower())
        return words + [f"{a} {b}" for a, b in zip(words, words[1:])]

    def fit(self, texts: list[str]) -> TfIdf:
        df = Counter(t for text in texts for t in set(self.terms(text)))
        kept = sorted(t for t, c in df.items() if c >= self.min_df)
        self.vocab = {t: i for i, t in enumerate(kept)}
        n = len(texts)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in kept])
        return self

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for r, text in enumerate(texts):
            counts = Counter(self.vocab[t] for t in self.terms(text) if t in self.vocab)
            if not counts:
                continue
            idx = np.fromiter(counts, dtype=np.int64)
            w = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[idx]
            w /= np.linalg.norm(w)
            rows += [r] * len(idx)
            cols += idx.tolist()
            vals += w.tolist()
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.vocab)))


def train_softmax(X, y: np.ndarray, n_classes: int, C: float = 10.0, max_iter: int = 400) -> np.ndarray:
    """Multinomial logistic regression: minimise sum cross-entropy + ||W||^2 / (2C); returns W with a bias row."""
    n, dim = X.shape
    Xb = sparse.hstack([X, np.ones((n, 1))]).tocsr() if sparse.issparse(X) else np.hstack([X, np.ones((n, 1))])
    Y = np.zeros((n, n_classes))
    Y[np.arange(n), y] = 1.0
    reg = np.ones((dim + 1, 1))
    reg[-1] = 0.0  # no penalty on the bias

    def loss_grad(w):
        W = w.reshape(dim + 1, n_classes)
        Z = np.asarray(Xb @ W)
        lse = logsumexp(Z, axis=1)
        loss = float(lse.sum() - (Z * Y).sum() + (reg * W * W).sum() / (2 * C))
        P = np.exp(Z - lse[:, None])
        grad = np.asarray(Xb.T @ (P - Y)) + reg * W / C
        return loss, grad.ravel()

    result = minimize(loss_grad, np.zeros((dim + 1) * n_classes), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter})
    return result.x.reshape(dim + 1, n_classes)


class Matcher:
    """Labelled examples in, `decide(text) -> Match` out; see the module docstring."""

    def __init__(self, encoder, mode: str = "nearest", C: float = 10.0, tfidf_weight: float = 1.0):
        if mode not in ("nearest", "linear"):
            raise ValueError(f"mode must be 'nearest' or 'linear', not {mode!r}")
        self.encoder, self.mode, self.C, self.tfidf_weight = encoder, mode, C, tfidf_weight
        self.labels: list[str] = []
        self._example_labels = np.zeros(0, dtype=np.int64)
        self._examples = np.zeros((0, getattr(encoder, "dim", 1)), dtype=np.float32)
        self._W: np.ndarray | None = None
        self._tfidf: TfIdf | None = None
        self._has_reject = False

    def fit(self, texts: list[str], labels: list[str], reject_texts: list[str] = (),
            embeddings: np.ndarray | None = None, reject_embeddings: np.ndarray | None = None) -> Matcher:
        """Learn from `texts` labelled `labels`; `reject_texts` are messages that must not match (linear mode).

        Precomputed embeddings of the same texts may be passed to save encoding time.
        """
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        self.labels = sorted(set(labels))
        index = {label: i for i, label in enumerate(self.labels)}
        y = np.array([index[label] for label in labels], dtype=np.int64)
        E = embeddings if embeddings is not None else self.encoder.encode(list(texts))
        self._examples, self._example_labels = np.asarray(E, dtype=np.float32), y
        if self.mode == "linear" and len(self.labels) >= 1:
            reject_texts = list(reject_texts)
            R = (reject_embeddings if reject_embeddings is not None
                 else self.encoder.encode(reject_texts) if reject_texts else np.zeros((0, E.shape[1]), np.float32))
            self._has_reject = len(reject_texts) > 0
            all_texts = list(texts) + reject_texts
            self._tfidf = TfIdf().fit(all_texts)
            X = self._features(np.vstack([E, R]), all_texts)
            n_classes = len(self.labels) + (1 if self._has_reject else 0)
            yy = np.concatenate([y, np.full(len(reject_texts), len(self.labels), dtype=np.int64)])
            if n_classes < 2:  # one label and nothing to reject: nothing to discriminate
                self._W = None
            else:
                self._W = train_softmax(X, yy, n_classes, C=self.C)
        return self

    def _features(self, E: np.ndarray, texts: list[str]):
        T = self._tfidf.transform(texts) * self.tfidf_weight
        return sparse.hstack([sparse.csr_matrix(E.astype(np.float64)), T]).tocsr()

    def scores(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, n_labels) in-scope scores: cosine similarities (nearest) or class probabilities (linear)."""
        E = embeddings if embeddings is not None else self.encoder.encode(list(texts))
        if not self.labels:
            return np.zeros((len(texts), 0))
        if self.mode == "linear" and self._W is not None:
            X = self._features(E, list(texts))
            Z = np.asarray(X @ self._W[:-1] + self._W[-1])
            P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
            return P[:, :len(self.labels)]
        sims = np.asarray(E, dtype=np.float32) @ self._examples.T
        out = np.full((len(texts), len(self.labels)), -1.0, dtype=np.float32)
        for j in range(len(self.labels)):
            mask = self._example_labels == j
            if mask.any():
                out[:, j] = sims[:, mask].max(axis=1)
        return out

    def decide_many(self, texts: list[str], embeddings: np.ndarray | None = None) -> list[Match]:
        S = self.scores(texts, embeddings)
        if S.shape[1] == 0:
            return [Match(None, 0.0) for _ in texts]
        order = np.argsort(-S, axis=1)
        out = []
        for i in range(len(texts)):
            best = int(order[i, 0])
            second = self.labels[int(order[i, 1])] if S.shape[1] > 1 else None
            out.append(Match(self.labels[best], float(max(0.0, min(1.0, S[i, best]))), second))
        return out

    def decide(self, text: str) -> Match:
        return self.decide_many([text])[0]


def choose_threshold(confidences: np.ndarray, correct: np.ndarray, reject_confidences: np.ndarray,
                     min_in_scope: float = 0.95) -> float:
    """The threshold that rejects the most reject examples while keeping in-scope accuracy >= min_in_scope.

    `correct[i]` says whether in-scope example i got the right label; an example counts as
    answered correctly when it is correct and its confidence reaches the threshold. If no
    threshold keeps the accuracy (the classifier alone is below it), the one that
    maximises accuracy + reject recall is returned.
    """
    candidates = np.unique(np.concatenate([confidences, reject_confidences, [0.0]]))
    best, best_obj = 0.0, -1.0
    fallback, fallback_obj = 0.0, -1.0
    for t in candidates:
        acc = float(np.mean(correct & (confidences >= t)))
        rec = float(np.mean(reject_confidences < t)) if len(reject_confidences) else 0.0
        if acc >= min_in_scope and rec > best_obj:
            best, best_obj = float(t), rec
        if acc + rec > fallback_obj:
            fallback, fallback_obj = float(t), acc + rec
    return best if best_obj >= 0 else fallback
