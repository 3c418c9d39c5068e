"""08_capstone: the pieces assembled into a digits classifier (ReLU hidden layers, softmax output, Adam
with a cosine schedule)."""

from . import inplace
from ._namespace import like, namespace_of
from .forward import forward
from .initialization import init_he
from .minibatch import batch_gradients, minibatch_indices
from .optimizers import adam_update, lr_schedule


def predict(X, params, hidden_activation="relu"):
    """Class labels (m,) of the columns of X (n[0], m): the arg-max of the softmax output."""
    xp = namespace_of(X)
    AL, _ = forward(X, params, hidden_activation, "softmax")
    return xp.argmax(AL, axis=0)


def accuracy(X, Y, params, hidden_activation="relu"):
    """Fraction of columns whose predicted class is the one-hot class in Y (K, m). Returns a float."""
    xp = namespace_of(X)
    return float(xp.mean(xp.astype(predict(X, params, hidden_activation) == xp.argmax(Y, axis=0), xp.float64)))


def train_classifier(X, Y, rng, hidden_sizes=(256,), epochs=40, batch_size=32, lr=2e-3):
    """Train a softmax classifier with Adam and a cosine schedule from He initialisation.
    X (n[0], m), Y one-hot (K, m). Returns params in X's namespace and dtype.

    The defaults are the notebook's tuned design (benchmarks/capstone_bars.py measures its spread).
    """
    xp = namespace_of(X)
    layer_sizes = [X.shape[0], *hidden_sizes, Y.shape[0]]
    params = {key: like(value, X) for key, value in init_he(layer_sizes, rng).items()}
    m_state = {key: xp.zeros_like(value) for key, value in params.items()}
    v_state = {key: xp.zeros_like(value) for key, value in params.items()}
    buffers_by_size = {} if inplace.supports(X, Y, "relu", "softmax", "cross_entropy") else None  # see train
    t = 0
    for epoch in range(epochs):
        step = lr_schedule("cosine", lr, epoch, total_epochs=epochs)
        for batch in minibatch_indices(X.shape[1], batch_size, rng):
            _, _, grads = batch_gradients(X, Y, batch, params, layer_sizes, buffers_by_size,
                                          "relu", "softmax", "cross_entropy")
            t += 1
            params, m_state, v_state = adam_update(params, grads, m_state, v_state, t, step)
    return params
