# custom_gcn.py: the GCN of examples/custom_gcn.cpp (docs/custom-model.md), written in Python over
# gatgrad's tensors and tape (docs/python.md, section 6). Line for line the C++ model: the same
# initial weights, dropout keys and optimiser, so it prints the C++ program's numbers.
#   PYTHONPATH=build/python /usr/bin/python3 examples/custom_gcn.py --data ../shared/datasets/cora
import argparse

import numpy as np

import gatgrad as gg


# ======================================= the model: begin =======================================
# GCN, one layer:  H' = σ(D̂^{-1/2} Â D̂^{-1/2} H W),  Â = A + I,  D̂_ii = Σ_j Â_ij.
# Row i of it:     h'_i = σ( Σ_{j ∈ N(i) ∪ {i}} c_ij (H W)_j ),   c_ij = 1 / sqrt(d̂_i d̂_j)

def gcn_norm(g):
    """c_ij of every edge of g (g = Â, in g's edge order) as a constant column [E, 1]; d̂ = in-degree."""
    deg = g.in_degrees().astype(np.float64)
    src, dst = g.edge_index
    return gg.Tensor((1.0 / np.sqrt(deg[src] * deg[dst]))[:, None], dtype="float32")


def propagate(hw, g, norm):
    """D̂^{-1/2} Â D̂^{-1/2} · hw:  hw [N, D], norm [E, 1] -> [N, D]"""
    messages = gg.gather(hw, g, "src") * norm  # c_ij (H W)_j     [E, D]
    return gg.scatter_add(messages, g)          # Σ_j c_ij (H W)_j [N, D]


class GCN:
    def __init__(self, n_in, hidden, classes, dropout, seed):
        self.p, self.seed, self.draws, self.training = dropout, seed, 0, True
        self.w1 = gg.glorot_uniform([n_in, hidden], gg.derive_key(seed, 1))    # W⁽¹⁾ [F, 16]
        self.b1 = gg.Tensor.zeros([hidden], requires_grad=True)                 # b⁽¹⁾ [16]
        self.w2 = gg.glorot_uniform([hidden, classes], gg.derive_key(seed, 2))  # W⁽²⁾ [16, C]
        self.b2 = gg.Tensor.zeros([classes], requires_grad=True)                # b⁽²⁾ [C]

    def parameters(self):
        return [self.w1, self.b1, self.w2, self.b2]

    # x [N, F] (dense or CSR), g = Â, norm = gcn_norm(g) -> logits [N, C] (softmax is in the loss)
    def forward(self, x, g, norm):
        p = self.p if self.training else 0.0  # dropout only while training
        draw = self.draws if self.training else 0
        self.draws += self.training
        xw = gg.dropout_matmul(x, self.w1, p, gg.derive_key(self.seed, 2 * draw))          # dropout(X) W⁽¹⁾    [N, 16]
        h = gg.relu(propagate(xw, g, norm) + self.b1)                                       # H⁽¹⁾               [N, 16]
        hw = gg.dropout(h, p, gg.derive_key(self.seed, 2 * draw + 1)) @ self.w2             # dropout(H⁽¹⁾) W⁽²⁾ [N, C]
        return propagate(hw, g, norm) + self.b2                                             # logits             [N, C]
# ======================================== the model: end ========================================


def run(path, epochs=200, seed=0, out=print):
    """Trains the GCN on the dataset at `path` as custom-gcn does; returns the test accuracy."""
    d = gg.load_dataset(path)                      # rows normalised, sparse features kept as CSR
    x, g = d.features(), d.graph(self_loops=True)  # Â = A + I
    norm = gcn_norm(g)
    train, val, test = (np.flatnonzero(m) for m in (d.train_mask, d.val_mask, d.test_mask))
    y = d.y
    model = GCN(d.num_features, 16, d.num_classes, 0.5, seed)
    opt = gg.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

    def evaluate(rows):
        model.training = False
        with gg.no_grad():  # evaluation records nothing
            return gg.accuracy(model.forward(x, g, norm), y, rows)

    for epoch in range(1, epochs + 1):
        model.training = True
        opt.zero_grad()
        loss = gg.cross_entropy(model.forward(x, g, norm), y, train)  # mean over the train nodes
        loss.backward()  # replays the tape: every parameter's .grad
        opt.step()
        if epoch % 20 == 0 or epoch == epochs:
            out(f"epoch {epoch:3d}  train_loss={loss.item():.4f}  val_accuracy={evaluate(val):.4f}")
    accuracy = evaluate(test)
    out(f"test_accuracy={accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train a 2-layer GCN (examples/custom_gcn.cpp's) on a dataset directory.")
    parser.add_argument("--data", required=True, help="dataset directory, e.g. ../shared/datasets/cora")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run(args.data, args.epochs, args.seed)
