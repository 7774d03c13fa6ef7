/// @file
/// Checkpoints: a directory anyone can open with NumPy.
/// ```
///   <dir>/config.json                      the caller's JSON text, verbatim (model configuration,
///                                          data preprocessing, ...)
///   <dir>/<param>.npy                      one per parameter, by its dotted name
///                                          ("conv1.weight.npy"), dtype <f4 or <f8 as the tensor
///   <dir>/counters.json                    {"<name>": n, ...} the modules' RNG counters (dropout
///                                          stream positions); only when the model has some
///   <dir>/optimizer/state.json             type, step count, hyper-parameters, per-parameter steps
///   <dir>/optimizer/<state>.<param>.npy    e.g. exp_avg.conv1.weight.npy (parameters updated
///                                          at least once)
///   <dir>/resume/                          optional: a nested checkpoint holding the state of an
///                                          interrupted training run (gat-train --save); ignored here
/// ```
///
/// Saving is atomic: everything is written (each file by io/file.hpp's AtomicFile, and synced) into
/// the sibling `<dir>.tmp-<pid>`, which is then swapped with `<dir>` by renameat2(RENAME_EXCHANGE)
/// and the old contents removed, so at every instant `<dir>` is a complete checkpoint, old or
/// new. Where the file system cannot exchange, the old directory is renamed to `<dir>.old-<pid>`
/// and the new one renamed into place (a short window in which `<dir>` is absent but the old
/// checkpoint is complete under its .old name). An existing `<dir>` is replaced only when it is a
/// checkpoint (holds config.json) or empty, so a wrong path never deletes unrelated files. What a
/// process killed during a save leaves beside `<dir>` is removed by the next save
/// (remove_stale_staging).
///
/// Loading validates everything before changing anything: every file name (a missing parameter
/// file, an unexpected file, optimiser state for another parameter list), every shape and dtype
/// against the model, the .npy files themselves (io/npy.hpp: truncated, bad header) and the
/// JSON, and every value finite (a NaN or an infinity is refused). Any failure is a DataError
/// naming the file:
///   "ckpt/conv1.weight.npy: shape [1433, 32] does not match the model's [1433, 64]"
/// and leaves the model, its counters and the optimiser exactly as they were.
#pragma once
#include <string>
#include <vector>

#include "nn/module.hpp"
#include "nn/optim.hpp"

namespace gatgrad::nn {

/// Writes a checkpoint of `model` (and of `opt` when not null; its parameters must all be
/// parameters of the model) with `config_json` as config.json. Throws Error when config_json is
/// not valid JSON or `dir` exists and is not a checkpoint, DataError on I/O failure; the old
/// checkpoint at `dir`, if any, is then left untouched and no temporary directory remains.
void save_checkpoint(const std::string& dir, const Module& model, const Optimizer* opt,
                     const std::string& config_json);

/// Restores the parameters and counters of `model` (and the state of `opt` when not null; a
/// checkpoint's optimizer/ directory is ignored when opt is null) and returns config.json's text.
/// config.json of the checkpoint in `dir`, validated as JSON, without loading anything else:
/// what a program reads first to build the model the checkpoint belongs to.
std::string read_checkpoint_config(const std::string& dir);

std::string load_checkpoint(const std::string& dir, Module& model, Optimizer* opt);

/// Where a save of this process stages `dir`: the sibling DIR.KIND-PID. Kinds: "tmp" (the
/// new checkpoint being written), "old" (the one being replaced, where the file system cannot
/// exchange the two), "next" (a caller's staging of a whole directory tree, gat-train's
/// --checkpoint-every).
std::string staging_path(const std::string& dir, const std::string& kind);

/// Removes what saves into `dir` by processes no longer alive left beside it (a run killed during
/// a checkpoint): every DIR.tmp-PID, DIR.old-PID and DIR.next-PID, with what is
/// nested in them, whose pid is no live process. Those of live processes (a save in progress
/// elsewhere) and of this one are kept. An `.old` sibling holding a checkpoint while `dir` is
/// missing (a save killed between its two renames) is renamed back to `dir` instead. Returns the
/// paths removed. save_checkpoint calls it first; so does gat-train's --resume. The pids are this
/// machine's: two machines saving into one folder of a shared file system are not supported.
std::vector<std::string> remove_stale_staging(const std::string& dir);

namespace detail {
/// Replaces directory `dir` by directory `fresh` (a sibling); `exchange` = false forces the
/// two-rename fallback (for tests). Removes the old contents.
void replace_directory(const std::string& fresh, const std::string& dir, bool exchange = true);
}  // namespace detail

}  // namespace gatgrad::nn
