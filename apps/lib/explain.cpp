#include "apps/lib/explain.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <sstream>

#include <nlohmann/json.hpp>

#include "autograd/error.hpp"

namespace gatgrad::app {

AttentionReduce parse_attention_reduce(const std::string& name) {
  if (name == "max") return AttentionReduce::max;
  if (name == "mean") return AttentionReduce::mean;
  throw UsageError("--explain-reduce " + name + ": expected max or mean");
}

const char* attention_reduce_name(AttentionReduce r) { return r == AttentionReduce::max ? "max" : "mean"; }

// ================================================================ the data

NodeClasses node_classes(const NodeData& data, const Tensor& logits) {
  NodeClasses c;
  if (data.multilabel) return c;  // no single class per node
  c.num_classes = data.num_classes;
  c.truth = data.labels;
  const Tensor z = logits.to(DType::f64);
  const int64_t n = z.size(0), k = z.size(1);
  const double* v = z.data<double>();
  for (int64_t i = 0; i < n; ++i) c.predicted.push_back(std::max_element(v + i * k, v + (i + 1) * k) - (v + i * k));
  return c;
}

namespace {

// PyG's order: each layer's heads first, then the layers (for `mean` the two differ when the
// layers have different numbers of heads: Cora's 8 and 1).
double reduce_alpha(const std::vector<std::vector<double>>& alpha, AttentionReduce r) {
  double over_layers = r == AttentionReduce::max ? -1.0 : 0.0;
  for (const std::vector<double>& heads : alpha) {
    double v = r == AttentionReduce::max ? -1.0 : 0.0;
    for (double a : heads) v = r == AttentionReduce::max ? std::max(v, a) : v + a;
    if (r == AttentionReduce::mean) v /= static_cast<double>(heads.size());
    over_layers = r == AttentionReduce::max ? std::max(over_layers, v) : over_layers + v;
  }
  return r == AttentionReduce::max ? over_layers : over_layers / static_cast<double>(alpha.size());
}

}  // namespace

Explanation explain_node(const std::vector<AttentionOut>& layers, const ExplainOptions& o) {
  if (layers.empty()) throw Error("explain: no attention layer");
  const Graph& g = layers[0].graph;
  const int64_t n = g.num_dst_nodes(), num_edges = g.num_edges();
  if (o.node < 0 || o.node >= n)
    throw UsageError("--explain " + std::to_string(o.node) + ": the graph has " + std::to_string(n) + " nodes (0.." +
                     std::to_string(n - 1) + ")");
  if (o.hops < 1) throw UsageError("explain: hops must be at least 1");
  Explanation e;
  e.node = o.node;
  e.hops = o.hops;
  e.reduce = o.reduce;
  std::vector<Tensor> alpha;  // per layer [E, K] as float64
  for (size_t l = 0; l < layers.size(); ++l) {
    const Graph& gl = layers[l].graph;
    const bool same = gl.num_edges() == num_edges && gl.num_dst_nodes() == n &&
                      std::equal(gl.src().begin(), gl.src().end(), g.src().begin()) &&
                      std::equal(gl.dst().begin(), gl.dst().end(), g.dst().begin());
    if (!same) throw Error("explain: layer " + std::to_string(l + 1) + " attends over another graph than layer 1");
    alpha.push_back(layers[l].alpha.to(DType::f64));
    if (alpha.back().shape().size() != 2 || alpha.back().size(0) != num_edges)
      throw Error("explain: layer " + std::to_string(l + 1) + "'s alpha is not [E, K]");
    e.heads.push_back(alpha.back().size(1));
  }

  // The neighbourhood: breadth first along incoming edges (who sends to whom, as messages flow;
  // PyG's k_hop_subgraph with flow source_to_target).
  std::vector<int32_t> hop(static_cast<size_t>(n), -1);
  const auto src = g.src(), dst = g.dst();
  const auto dst_ptr = g.dst_ptr();
  std::vector<int32_t> frontier{static_cast<int32_t>(o.node)};
  hop[static_cast<size_t>(o.node)] = 0;
  for (int32_t h = 1; h <= o.hops && !frontier.empty(); ++h) {
    std::vector<int32_t> next;
    for (int32_t i : frontier)
      for (int64_t k = dst_ptr[static_cast<size_t>(i)]; k < dst_ptr[static_cast<size_t>(i) + 1]; ++k) {
        const int32_t j = src[static_cast<size_t>(k)];
        if (hop[static_cast<size_t>(j)] < 0) {
          hop[static_cast<size_t>(j)] = h;
          next.push_back(j);
        }
      }
    frontier = std::move(next);
  }
  for (int32_t h = 0; h <= o.hops; ++h)
    for (int32_t v = 0; v < n; ++v)
      if (hop[static_cast<size_t>(v)] == h) {
        e.nodes.push_back(v);
        e.hop.push_back(h);
      }

  for (int64_t k = 0; k < num_edges; ++k) {
    const int32_t j = src[static_cast<size_t>(k)], i = dst[static_cast<size_t>(k)];
    if (hop[static_cast<size_t>(j)] < 0 || hop[static_cast<size_t>(i)] < 0) continue;
    ExplainedEdge x;
    x.source = j;
    x.target = i;
    x.edge = k;
    for (const Tensor& a : alpha) {
      const int64_t heads = a.size(1);
      const double* row = a.data<double>() + k * heads;
      x.alpha.emplace_back(row, row + heads);
    }
    x.importance = reduce_alpha(x.alpha, o.reduce);
    e.edges.push_back(std::move(x));
  }
  return e;
}

std::string explanation_json(const Explanation& e, const NodeClasses& c) {
  auto class_of = [](const std::vector<int64_t>& v, int32_t node) {
    return static_cast<size_t>(node) < v.size() ? v[static_cast<size_t>(node)] : int64_t{-1};
  };
  nlohmann::ordered_json j;
  j["node"] = e.node;
  j["hops"] = e.hops;
  j["reduce"] = attention_reduce_name(e.reduce);
  j["layers"] = nlohmann::ordered_json::array();
  for (int64_t h : e.heads) j["layers"].push_back({{"heads", h}});
  j["nodes"] = nlohmann::ordered_json::array();
  for (size_t k = 0; k < e.nodes.size(); ++k)
    j["nodes"].push_back({{"id", e.nodes[k]},
                          {"hop", e.hop[k]},
                          {"true_class", class_of(c.truth, e.nodes[k])},
                          {"predicted_class", class_of(c.predicted, e.nodes[k])}});
  j["edges"] = nlohmann::ordered_json::array();
  for (const ExplainedEdge& x : e.edges)
    j["edges"].push_back({{"edge", x.edge},
                          {"source", x.source},
                          {"target", x.target},
                          {"self_loop", x.source == x.target},
                          {"importance", x.importance},
                          {"alpha", x.alpha}});
  return j.dump(1) + "\n";
}

// ================================================================ the picture

namespace {

struct Point {
  double x = 0, y = 0;
};
Point operator+(Point a, Point b) { return {a.x + b.x, a.y + b.y}; }
Point operator-(Point a, Point b) { return {a.x - b.x, a.y - b.y}; }
Point operator*(double s, Point a) { return {s * a.x, s * a.y}; }
double length(Point a) { return std::hypot(a.x, a.y); }
Point unit(Point a) {
  const double l = length(a);
  return l > 0 ? (1.0 / l) * a : Point{1, 0};
}
Point left_normal(Point d) { return {d.y, -d.x}; }  // y grows downwards: this is the left of d on screen

// Sizes of the picture, in SVG user units (pixels at 100%). A panel is kSmallPanel wide for a
// neighbourhood of up to kSmallNodes drawn nodes, kPanel otherwise; its rings scale with it.
constexpr double kPanel = 400, kSmallPanel = 300;
constexpr size_t kSmallNodes = 16;
constexpr double kGap = 16;           // between panels
constexpr double kMargin = 20;
constexpr double kHeader = 162;       // title and legends
constexpr double kMinWidth = 1000;    // room for the header
constexpr int kColumns = 4;
constexpr double kRing1 = 0.2, kRing2 = 0.34;  // radii of hop 1 and hop 2 (and further), per panel width
constexpr double kNodeRadius = 8, kCentreRadius = 12;

// Tableau 10: distinct for the first ten classes, then repeated.
const char* class_color(int64_t c) {
  static const char* colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
                                 "#9c755f", "#ff9da7", "#76b7b2", "#edc948", "#bab0ac"};
  return c < 0 ? "#ffffff" : colors[c % 10];
}

// α in [0, 1] as a grey from light (#d2d2d2) to black, darkening fastest among the small values
// most edges have (a node of degree d gives its neighbours about 1/d each); the width grows
// linearly with α.
std::string alpha_color(double a) {
  a = std::clamp(a, 0.0, 1.0);
  const int v = static_cast<int>(std::lround(210 * std::pow(1 - a, 1.6)));
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", v, v, v);
  return buf;
}
double alpha_width(double a) { return 0.5 + 7.0 * std::clamp(a, 0.0, 1.0); }

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&apos;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Numbers in the SVG: one decimal is below a pixel's tenth and keeps the file small.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::abs(v) < 0.05 ? 0.0 : v);
  return buf;
}

// The nodes drawn and where: `node` at the centre, hop 1 on a ring, hop 2 and further on an
// outer ring, each outer node in the sector of the hop-1 node it sends to (the one of smallest
// id), sectors sized by their number of outer nodes. Positions relative to the panel's centre.
struct Layout {
  std::vector<int32_t> nodes;          // drawn, `node` first
  std::map<int32_t, Point> at;         // node -> position
  std::map<int32_t, Point> outward;    // node -> unit vector away from the centre (labels, self-loops)
  size_t total = 0;                    // nodes in the neighbourhood
  double panel = kPanel;               // the panels' size
};

Layout lay_out(const Explanation& e, int64_t max_nodes) {
  Layout L;
  L.total = e.nodes.size();
  std::map<int32_t, int32_t> hop;
  for (size_t k = 0; k < e.nodes.size(); ++k) hop[e.nodes[k]] = e.hop[k];
  const int32_t centre = static_cast<int32_t>(e.node);
  // Which nodes: the centre, then repeatedly the strongest edge from a node not kept into one kept.
  std::map<int32_t, bool> kept{{centre, true}};
  L.nodes.push_back(centre);
  const size_t limit = static_cast<size_t>(std::max<int64_t>(1, max_nodes));
  for (int32_t h = 1; h <= e.hops && L.nodes.size() < limit; ++h) {
    std::map<int32_t, double> best;  // hop-h node -> strongest importance of its edges into kept nodes
    for (const ExplainedEdge& x : e.edges)
      if (hop[x.source] == h && x.source != x.target && kept.count(x.target) && hop[x.target] == h - 1)
        best[x.source] = std::max(best.count(x.source) ? best[x.source] : -1.0, x.importance);
    std::vector<std::pair<double, int32_t>> order;
    for (const auto& [v, w] : best) order.push_back({-w, v});
    std::sort(order.begin(), order.end());  // strongest first, then by id
    for (const auto& [w, v] : order) {
      if (L.nodes.size() >= limit) break;
      kept[v] = true;
      L.nodes.push_back(v);
    }
  }
  // Where: hop-1 nodes in id order around the ring, each with a sector for its outer nodes.
  std::vector<int32_t> ring1;
  std::map<int32_t, std::vector<int32_t>> children;  // hop-1 node -> its outer nodes, by id
  std::vector<int32_t> orphans;                      // outer nodes with no drawn hop-1 receiver (hops > 2)
  for (int32_t v : L.nodes)
    if (v != centre && hop[v] == 1) ring1.push_back(v);
  std::sort(ring1.begin(), ring1.end());
  for (int32_t v : L.nodes) {
    if (v == centre || hop[v] == 1) continue;
    int32_t parent = -1;
    for (const ExplainedEdge& x : e.edges)
      if (x.source == v && hop[x.target] == 1 && kept.count(x.target) && (parent < 0 || x.target < parent))
        parent = x.target;
    if (parent >= 0) children[parent].push_back(v); else orphans.push_back(v);
  }
  for (auto& [p, c] : children) std::sort(c.begin(), c.end());
  std::sort(orphans.begin(), orphans.end());
  L.panel = L.nodes.size() <= kSmallNodes ? kSmallPanel : kPanel;
  const double radius1 = kRing1 * L.panel, radius2 = kRing2 * L.panel;
  L.at[centre] = {0, 0};
  L.outward[centre] = {0, -1};
  double total_weight = static_cast<double>(orphans.size());
  for (int32_t v : ring1) total_weight += std::max<double>(1.0, static_cast<double>(children[v].size()));
  const double two_pi = 2 * std::numbers::pi;
  double angle = -std::numbers::pi / 2;  // start at the top, go clockwise
  auto place = [&](int32_t v, double radius, double a) {
    const Point d{std::cos(a), std::sin(a)};
    L.at[v] = radius * d;
    L.outward[v] = d;
  };
  for (int32_t v : ring1) {
    const std::vector<int32_t>& c = children[v];
    const double sector = two_pi * std::max<double>(1.0, static_cast<double>(c.size())) / total_weight;
    place(v, radius1, angle + sector / 2);
    for (size_t k = 0; k < c.size(); ++k)
      place(c[k], radius2, angle + sector * (static_cast<double>(k) + 0.5) / static_cast<double>(c.size()));
    angle += sector;
  }
  for (size_t k = 0; k < orphans.size(); ++k) place(orphans[k], radius2, angle + two_pi * (static_cast<double>(k) + 0.5) / total_weight);
  return L;
}

// One arrow j → i: a quadratic curve that bends to its own left, so the two directions of a pair
// never overlap; it ends in an arrowhead at i's circle. Self-loops are a loop outside the node.
void arrow(std::ostringstream& o, Point from, Point to, double r_from, double r_to, double a, Point outward_of_loop) {
  const std::string color = alpha_color(a);
  const double w = alpha_width(a);
  if (length(to - from) < 1e-9) {  // self-loop: a loop on the outward side
    const Point d = outward_of_loop, n = left_normal(d);
    const Point p0 = from + r_from * unit(d + 0.6 * n), p3 = from + r_from * unit(d - 0.6 * n);
    const Point c1 = from + (r_from + 16) * unit(d + 1.1 * n), c2 = from + (r_from + 16) * unit(d - 1.1 * n);
    o << "<path class='alpha' d='M" << num(p0.x) << ',' << num(p0.y) << " C" << num(c1.x) << ',' << num(c1.y) << ' '
      << num(c2.x) << ',' << num(c2.y) << ' ' << num(p3.x) << ',' << num(p3.y) << "' fill='none' stroke='" << color
      << "' stroke-width='" << num(w) << "'/>\n";
    return;
  }
  const Point d = unit(to - from);
  const double bend = std::min(0.18 * length(to - from), 40.0);
  const Point control = 0.5 * (from + to) + bend * left_normal(d);
  const Point start = from + r_from * unit(control - from);
  const Point tip = to + (r_to + 1.5) * unit(control - to);
  const Point back = unit(tip - control);
  const double head = 6 + 1.2 * w, half = 3 + 0.7 * w;
  const Point end = tip - 0.8 * head * back, base = tip - head * back, side = half * left_normal(back);
  o << "<path class='alpha' d='M" << num(start.x) << ',' << num(start.y) << " Q" << num(control.x) << ','
    << num(control.y) << ' ' << num(end.x) << ',' << num(end.y) << "' fill='none' stroke='" << color
    << "' stroke-width='" << num(w) << "'/>\n";
  o << "<polygon points='" << num(tip.x) << ',' << num(tip.y) << ' ' << num((base + side).x) << ',' << num((base + side).y)
    << ' ' << num((base - side).x) << ',' << num((base - side).y) << "' fill='" << color << "'/>\n";
}

// One panel at (x0, y0): the title, then every edge between drawn nodes weighted by value(edge),
// lightest first (the strong arrows on top), then the nodes and their labels.
template <class Value>
void panel(std::ostringstream& o, double x0, double y0, const std::string& title, const Explanation& e, const Layout& L,
           const NodeClasses& c, Value value) {
  const double size = L.panel;
  const Point centre{x0 + size / 2, y0 + size / 2 + 8};
  o << "<g>\n<rect x='" << num(x0) << "' y='" << num(y0) << "' width='" << num(size) << "' height='" << num(size)
    << "' fill='#fcfcfc' stroke='#bbbbbb'/>\n";
  o << "<text x='" << num(x0 + 10) << "' y='" << num(y0 + 20) << "' font-size='14' font-weight='bold'>" << escape(title)
    << "</text>\n";
  auto radius = [&](int32_t v) { return v == e.node ? kCentreRadius : kNodeRadius; };
  std::vector<std::pair<double, const ExplainedEdge*>> drawn;
  for (const ExplainedEdge& x : e.edges)
    if (L.at.count(x.source) && L.at.count(x.target)) drawn.push_back({value(x), &x});
  std::stable_sort(drawn.begin(), drawn.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // A self-loop sits beside the outward direction, where the label is (the centre's: above it,
  // the label below).
  auto loop_side = [&](int32_t v) {
    const Point d = L.outward.at(v);
    const double c = std::cos(1.2), s = std::sin(1.2);
    return v == e.node ? d : Point{d.x * c - d.y * s, d.x * s + d.y * c};
  };
  for (const auto& [a, x] : drawn)
    arrow(o, centre + L.at.at(x->source), centre + L.at.at(x->target), radius(x->source), radius(x->target), a,
          loop_side(x->target));
  for (int32_t v : L.nodes) {
    const Point p = centre + L.at.at(v);
    const double r = radius(v);
    const int64_t truth = static_cast<size_t>(v) < c.truth.size() ? c.truth[static_cast<size_t>(v)] : -1;
    const int64_t pred = static_cast<size_t>(v) < c.predicted.size() ? c.predicted[static_cast<size_t>(v)] : -1;
    o << "<circle cx='" << num(p.x) << "' cy='" << num(p.y) << "' r='" << num(r + 2.2) << "' fill='none' stroke='"
      << (pred < 0 ? "#888888" : class_color(pred)) << "' stroke-width='3'/>\n";
    o << "<circle cx='" << num(p.x) << "' cy='" << num(p.y) << "' r='" << num(r) << "' fill='" << class_color(truth)
      << "' stroke='white' stroke-width='1'/>\n";
  }
  for (int32_t v : L.nodes) {  // the labels last: no node covers one
    // The label outside the node, away from the centre (below the centre node itself).
    const Point p = centre + L.at.at(v);
    const double r = radius(v);
    const Point d = v == e.node ? Point{0, 1} : L.outward.at(v);
    const Point t = p + (r + 12) * d;
    const char* anchor = d.x > 0.35 ? "start" : d.x < -0.35 ? "end" : "middle";
    o << "<text class='node-label' x='" << num(t.x) << "' y='" << num(t.y + 4) << "' text-anchor='" << anchor
      << "' font-size='" << (v == e.node ? 14 : 12) << "'" << (v == e.node ? " font-weight='bold'" : "")
      << " stroke='white' stroke-width='3' paint-order='stroke'>" << v << "</text>\n";
  }
  o << "</g>\n";
}

}  // namespace

std::string explanation_svg(const Explanation& e, const NodeClasses& c, const ExplainOptions& opt) {
  const Layout L = lay_out(e, opt.max_drawn_nodes);
  struct Panel {
    std::string title;
    int64_t layer = -1, head = -1;  // head -1: the mean of the layer's heads; layer -1: the importance
  };
  std::vector<Panel> panels;
  for (size_t l = 0; l < e.heads.size(); ++l) {
    for (int64_t h = 0; h < e.heads[l]; ++h)
      panels.push_back({"layer " + std::to_string(l + 1) + ", head " + std::to_string(h), static_cast<int64_t>(l), h});
    if (e.heads[l] > 1)
      panels.push_back({"layer " + std::to_string(l + 1) + ", mean of its " + std::to_string(e.heads[l]) + " heads",
                        static_cast<int64_t>(l), -1});
  }
  panels.push_back({std::string("importance: ") + attention_reduce_name(e.reduce) + " over heads, then layers", -1, -1});
  const int columns = std::min<int>(kColumns, static_cast<int>(panels.size()));
  const int rows = (static_cast<int>(panels.size()) + columns - 1) / columns;
  const double width = std::max(kMinWidth, 2 * kMargin + columns * L.panel + (columns - 1) * kGap);
  const double height = kHeader + rows * L.panel + (rows - 1) * kGap + kMargin;

  std::ostringstream o;
  o << "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='" << num(width)
    << "' height='" << num(height) << "' viewBox='0 0 " << num(width) << ' ' << num(height)
    << "' font-family='DejaVu Sans, Helvetica, Arial, sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n";

  // ---- header: what is drawn, then the two legends ----
  auto class_text = [](const std::vector<int64_t>& v, int64_t node) {
    const int64_t k = static_cast<size_t>(node) < v.size() ? v[static_cast<size_t>(node)] : -1;
    return k < 0 ? std::string("none") : std::to_string(k);
  };
  size_t hop1 = 0;
  for (int32_t h : e.hop) hop1 += h == 1;
  std::ostringstream line1, line2;
  line1 << "Attention around node " << e.node << (opt.title.empty() ? "" : ": " + opt.title) << " (true class "
        << class_text(c.truth, e.node) << ", predicted " << class_text(c.predicted, e.node) << ")";
  line2 << e.hops << "-hop neighbourhood: " << e.nodes.size() << " nodes (" << hop1 << " at 1 hop), " << e.edges.size()
        << " edges with the self-loops";
  if (L.nodes.size() < L.total)
    line2 << "; drawn: the " << L.nodes.size() << " nodes whose edges toward node " << e.node << " weigh most";
  o << "<text x='" << num(kMargin) << "' y='30' font-size='20' font-weight='bold'>" << escape(line1.str()) << "</text>\n";
  o << "<text x='" << num(kMargin) << "' y='54' font-size='14'>" << escape(line2.str()) << "</text>\n";
  // α legend: five arrows from α = 0 to 1, then what an arrow means.
  const double ly = 84;
  for (int k = 0; k <= 4; ++k) {
    const double a = 0.25 * k, x = kMargin + 10 + 88 * k;
    std::ostringstream tmp;
    arrow(tmp, {x, ly}, {x + 60, ly}, 0, 0, a, {0, -1});
    o << tmp.str() << "<text x='" << num(x + 30) << "' y='" << num(ly + 24) << "' font-size='12' text-anchor='middle'>α = "
      << (k == 0 ? "0" : k == 1 ? "0.25" : k == 2 ? "0.5" : k == 3 ? "0.75" : "1") << "</text>\n";
  }
  const double tx = kMargin + 10 + 88 * 5;
  o << "<text x='" << num(tx) << "' y='" << num(ly - 2) << "' font-size='13'>arrow j → i: the weight α_ij of j's "
       "message to i (width and grey)</text>\n<text x='" << num(tx) << "' y='" << num(ly + 16) << "' font-size='13'>"
       "every arrow bends to its left, so α_ij and α_ji lie side by side</text>\n";
  // Class legend: the fill is the true class, the ring the predicted one.
  const double cy = 134;
  o << "<text x='" << num(kMargin) << "' y='" << num(cy + 4) << "' font-size='13'>node: fill = true class, ring = "
       "predicted class, label = node id</text>\n";
  for (int64_t k = 0; k < std::min<int64_t>(c.num_classes, 10); ++k) {
    const double x = kMargin + 420 + 56 * static_cast<double>(k);
    o << "<circle cx='" << num(x) << "' cy='" << num(cy) << "' r='7' fill='" << class_color(k) << "'/>\n<text x='"
      << num(x + 11) << "' y='" << num(cy + 4) << "' font-size='12'>" << k << "</text>\n";
  }
  if (c.num_classes <= 0)
    o << "<text x='" << num(kMargin + 420) << "' y='" << num(cy + 4) << "' font-size='12'>(no single class per node: "
         "white fill, grey ring)</text>\n";

  for (size_t k = 0; k < panels.size(); ++k) {
    const Panel& p = panels[k];
    const double x0 = kMargin + static_cast<double>(static_cast<int>(k) % columns) * (L.panel + kGap);
    const double y0 = kHeader + static_cast<double>(static_cast<int>(k) / columns) * (L.panel + kGap);
    if (p.layer < 0) {
      panel(o, x0, y0, p.title, e, L, c, [](const ExplainedEdge& x) { return x.importance; });
    } else if (p.head >= 0) {
      panel(o, x0, y0, p.title, e, L, c, [&p](const ExplainedEdge& x) {
        return x.alpha[static_cast<size_t>(p.layer)][static_cast<size_t>(p.head)];
      });
    } else {
      panel(o, x0, y0, p.title, e, L, c, [&p](const ExplainedEdge& x) {
        const std::vector<double>& a = x.alpha[static_cast<size_t>(p.layer)];
        double s = 0;
        for (double v : a) s += v;
        return s / static_cast<double>(a.size());
      });
    }
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace gatgrad::app
