"""fit's progress: a tqdm bar when tqdm is importable, plain lines otherwise (every 10 epochs, as
gat-train prints when not on a terminal)."""
import sys


class _Silent:
    def update(self, stats):
        pass

    def close(self):
        pass


class _Lines:
    def __init__(self, total, every=10):
        self.total, self.every = total, every

    def update(self, s):
        if s["epoch"] % self.every == 0 or s["epoch"] == 1:
            print(f"epoch {s['epoch']:4d}  train_loss={s['train_loss']:.4f}  val_loss={s['val_loss']:.4f}  "
                  f"val_accuracy={s['val_accuracy']:.4f}", file=sys.stderr)

    def close(self):
        pass


class _Bar:
    def __init__(self, tqdm, total):
        self.bar = tqdm(total=total, unit="epoch", leave=False)

    def update(self, s):
        self.bar.set_postfix(loss=f"{s['train_loss']:.4f}", val_acc=f"{s['val_accuracy']:.4f}", refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


def progress_bar(total, progress):
    """What fit reports through: progress False -> nothing; "lines" -> plain lines; True -> tqdm if importable."""
    if not progress:
        return _Silent()
    if progress != "lines":
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            return _Bar(tqdm, total)
    return _Lines(total)
