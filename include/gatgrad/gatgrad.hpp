/// @file
/// The whole public API of gatgrad in one header: `#include <gatgrad/gatgrad.hpp>` and link
/// `gatgrad::gatgrad` (find_package(gatgrad 0.1 REQUIRED) on an installed copy). It brings
/// the engine (tensors, the ops, the tape, gradcheck), file formats, graphs and datasets, the nn modules,
/// optimisers and checkpoints, the GAT and GATv2 models, their training (the loop, its steps, the
/// mode chosen in make_steps), xtensor interop (tensors viewed as xtensor arrays, tensors and
/// datasets made from them), and gatgrad::version(). Every name is in namespace gatgrad (the nn pieces in gatgrad::nn).
///
/// The headers it includes name each other from the repository root ("autograd/tensor.hpp"),
/// which the installed package puts on the include path (`<prefix>/include/gatgrad`) together
/// with `<prefix>/include`; the folders' headers can also be included one by one, e.g.
/// `<gatgrad/models/gat.hpp>`.
#pragma once

// autograd: tensors, the tape, the differentiable ops, writing ops of your own, gradient checking.
#include "autograd/buffer.hpp"
#include "autograd/creation.hpp"
#include "autograd/custom_op.hpp"
#include "autograd/dtype.hpp"
#include "autograd/error.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/isa.hpp"
#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"
#include "autograd/profile.hpp"
#include "autograd/random.hpp"
#include "autograd/shape.hpp"
#include "autograd/sparse.hpp"
#include "autograd/sparse_ops.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"
#include "autograd/version.hpp"

// io: the file formats: .npy arrays, zip archives and .npz files, reading whole files.
#include "io/file.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"
#include "io/zip.hpp"

// graph: the graph structure, message passing, datasets (loading, synthetic graphs), neighbour
// sampling into bipartite blocks.
#include "graph/adjacency_source.hpp"
#include "graph/block.hpp"
#include "graph/dataset.hpp"
#include "graph/edge_features.hpp"
#include "graph/features.hpp"
#include "graph/gat_attention.hpp"
#include "graph/graph.hpp"
#include "graph/graph_index.hpp"
#include "graph/link_split.hpp"
#include "graph/load_dataset.hpp"
#include "graph/message_passing.hpp"
#include "graph/negative_sampling.hpp"
#include "graph/neighbor_sampler.hpp"
#include "graph/pair_scores.hpp"
#include "graph/readout.hpp"
#include "graph/synthetic.hpp"
#include "graph/synthetic_graphs.hpp"
#include "graph/synthetic_motifs.hpp"
#include "graph/tu_dataset.hpp"

// nn: modules, layers, initialisers, metrics, optimisers, checkpoints (the losses are autograd ops).
#include "nn/activation.hpp"
#include "nn/checkpoint.hpp"
#include "nn/dropout.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/link_metrics.hpp"
#include "nn/metrics.hpp"
#include "nn/module.hpp"
#include "nn/optim.hpp"

// models: the GAT and GATv2 layers, the model of L layers, the hyper-parameters and the paper's
// presets, the data prepared for training, the layer-wise inference.
#include "models/attention_layer.hpp"
#include "models/gat.hpp"
#include "models/gat_conv.hpp"
#include "models/gatv2_conv.hpp"
#include "models/graph_classifier.hpp"
#include "models/graph_folds.hpp"
#include "models/input_features.hpp"
#include "models/layerwise.hpp"
#include "models/link_data.hpp"
#include "models/link_decoder.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"

// train: the steps of every mode behind one interface, make_steps choosing the mode, the loss and
// score, a step's gradient, the evaluation, the loop with its early stopping.
#include "train/evaluate.hpp"
#include "train/full_batch_steps.hpp"
#include "train/cross_validation.hpp"
#include "train/graph_batches.hpp"
#include "train/graph_class_steps.hpp"
#include "train/link_model.hpp"
#include "train/loop.hpp"
#include "train/make_steps.hpp"
#include "train/minibatch.hpp"
#include "train/node_loss.hpp"
#include "train/sampled_steps.hpp"
#include "train/step_gradient.hpp"
#include "train/steps.hpp"
#include "train/train_state.hpp"
#include "train/trainer.hpp"

// interop: xtensor at the edges: adapt<T>(tensor) views a tensor as an xtensor array (no copy),
// from_xtensor(expr) makes a tensor of an expression, dataset_from_xtensor a Dataset of arrays.
#include "interop/xtensor.hpp"
#include "interop/xtensor_dataset.hpp"
