"""fit's progress: a tqdm bar when tqdm is importable, plain lines otherwise (every 10 epochs, as
gat-train prints when not on a terminal)."""
import sys


class _Silent:
    def update(self, stats):
        pass

    def close(self):
        pass


class _Lines:
    def __init__(self, total, score, every=10):
        self.total, self.score, self.every = total, score, every

    def update(self, s):
        if s["epoch"] % self.every == 0 or s["epoch"] == 1:
            fold = f"fold {s['fold'] + 1}  " if "fold" in s else ""
            print(f"{fold}epoch {s['epoch']:4d}  train_loss={s['train_loss']:.4f}  val_loss={s['val_loss']:.4f}  "
                  f"val_{self.score}={s['val_' + self.score]:.4f}", file=sys.stderr)

    def close(self):
        pass


class _Bar:
    def __init__(self, tqdm, total, score):
        self.bar = tqdm(total=total, unit="epoch", leave=False)
        self.score = score

    def update(self, s):
        postfix = {"loss": f"{s['train_loss']:.4f}", "val_" + self.score: f"{s['val_' + self.score]:.4f}"}
        if "fold" in s:
            postfix["fold"] = s["fold"] + 1
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


def progress_bar(total, progress, score="accuracy"):
    """What fit reports through: progress False -> nothing; "lines" -> plain lines; True -> tqdm if importable.
    total: the epochs at most; score: the validation score's name (accuracy, auc)."""
    if not progress:
        return _Silent()
    if progress != "lines":
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            return _Bar(tqdm, total, score)
    return _Lines(total, score)
