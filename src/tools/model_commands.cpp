// `braid summary|inspect|export|import|predict`: model files and ONNX from the
// command line. Each prints what went wrong and exits non-zero on failure.
#include "tools/model_commands.hpp"

#include <png.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "braid/braid.hpp"
#include "braid/onnx/onnx.hpp"

namespace braid::tools {

namespace {
namespace fs = std::filesystem;

bool has_ext(const fs::path& p, std::string_view ext) { return p.extension() == ext; }

// A braid model file, or an .onnx file imported on the fly.
runtime::Graph load_graph(const fs::path& path, io::Metadata* meta = nullptr) {
  if (has_ext(path, ".onnx")) return onnx::import_onnx(path);
  io::LoadedModel m = io::load_model(path);
  if (meta) *meta = m.metadata();
  return m.graph();
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB"};
  int u = 0;
  while (b >= 1024 && u < 3) b /= 1024, ++u;
  return u == 0 ? fmt::format("{:.0f} B", b) : fmt::format("{:.2f} {}", b, units[u]);
}

std::string with_commas(int64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

// Keras' summary, from the graph: one row per module scope (or per node
// without one), its ops, output shape and parameters.
void summary(const fs::path& path) {
  io::Metadata meta;
  runtime::Graph g = load_graph(path, &meta);
  struct Row {
    std::string layer, ops, shape;
    int64_t params = 0;
  };
  std::vector<Row> rows;
  std::vector<bool> counted(g.values.size(), false);
  int64_t total = 0, bytes = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const runtime::Node& n = g.nodes[i];
    std::string layer = n.scope.empty() ? fmt::format("node {}", i) : n.scope;
    if (rows.empty() || rows.back().layer != layer) rows.push_back({layer, "", "", 0});
    Row& r = rows.back();
    r.ops += (r.ops.empty() ? "" : ", ") + std::string(op_def(n.op).name);
    r.shape = shape_str(g.values[n.outputs[0]].shape);
    for (int id : n.inputs)
      if (id >= 0 && g.values[id].is_constant() && !counted[id]) {
        counted[id] = true;
        const auto& v = g.values[id];
        if (v.shape.empty()) continue;  // numbers written in the code
        r.params += numel_of(v.shape);
        bytes += numel_of(v.shape) * static_cast<int64_t>(dtype_size(v.dtype));
      }
  }
  for (const Row& r : rows) total += r.params;
  std::cout << "Model: \"" << path.filename().string() << "\"\n";
  const std::string rule(96, '-');
  std::cout << rule << "\n"
            << fmt::format("{:<34} {:<30} {:<20} {:>9}\n", "Layer (scope)", "Ops", "Output Shape",
                           "Param #")
            << rule << "\n";
  for (const Row& r : rows) {
    std::string ops = r.ops.size() > 29 ? r.ops.substr(0, 26) + "..." : r.ops;
    std::cout << fmt::format("{:<34} {:<30} {:<20} {:>9}\n", r.layer, ops, r.shape,
                             with_commas(r.params));
  }
  std::cout << rule << "\n"
            << " Total params: " << with_commas(total) << " (" << human_bytes(bytes) << ")\n"
            << " Inputs: ";
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const auto& v = g.values[g.inputs[i]];
    std::cout << (i ? ", " : "") << v.name << " " << dtype_name(v.dtype) << shape_str(v.shape);
  }
  std::cout << "\n Batch dimension: "
            << (g.dynamic_batch ? "free" : "fixed (" + g.static_reason + ")") << "\n";
}

void inspect(const fs::path& path) {
  if (has_ext(path, ".onnx")) {
    std::cout << load_graph(path).str();
    return;
  }
  io::SafetensorsContents c = io::read_safetensors(path);
  std::cout << path.string() << ": " << c.tensors.size() << " tensors\n";
  int64_t total = 0;
  for (const auto& [name, t] : c.tensors) {
    const int64_t b = t.numel() * static_cast<int64_t>(t.element_size());
    total += b;
    std::cout << fmt::format("  {:<40} {:<9} {:<18} {:>12}\n", name, dtype_name(t.dtype()),
                             shape_str(t.shape()), human_bytes(static_cast<double>(b)));
  }
  std::cout << "  total " << human_bytes(static_cast<double>(total)) << "\n";
  std::cout << "metadata:\n";
  for (const auto& [k, v] : c.metadata) {
    if (k == "braid.graph") continue;  // printed as a graph below
    std::string shown = v.find('\n') == std::string::npos ? v : "\n    " + v;
    for (size_t p = 0; (p = shown.find('\n', p + 1)) != std::string::npos;)
      shown.replace(p, 1, "\n    ");
    std::cout << "  " << k << ": " << shown << "\n";
  }
  if (c.metadata.count("braid.graph"))
    std::cout << "graph:\n" << io::load_model(path).graph().str();
}

// A PNG as float values in [0, 1], shaped like the model's input with batch 1
// (grey images; colour ones are converted to grey by libpng).
Tensor read_png(const fs::path& path, const runtime::Value& input) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  BRAID_CHECK(png_image_begin_read_from_file(&img, path.c_str()), IOError, "braid predict",
              "{}: not a readable PNG ({})", path.string(), img.message);
  img.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, pixels.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    throw IOError(fmt::format("[braid predict] {}: {}", path.string(), msg));
  }
  Shape want = input.shape;
  if (!want.empty()) want[0] = 1;
  BRAID_CHECK(numel_of(want) == static_cast<int64_t>(pixels.size()), ShapeError, "braid predict",
              "{} is {}x{} ({} pixels); input '{}' takes {} values per example ({})", path.string(),
              img.width, img.height, pixels.size(), input.name, numel_of(want), shape_str(want));
  Tensor t = tensor(std::vector<uint8_t>(pixels), Shape{static_cast<int64_t>(pixels.size())});
  return (t.to(DType::Float32) / 255.0).reshape(want).to(input.dtype);
}

void predict(const fs::path& model_path, const fs::path& input_path, const fs::path& out_path) {
  runtime::Graph g = load_graph(model_path);
  std::vector<Tensor> inputs;
  if (has_ext(input_path, ".png")) {
    BRAID_CHECK(g.inputs.size() == 1, ValueError, "braid predict",
                "the model takes {} inputs; give them in a .safetensors file", g.inputs.size());
    inputs.push_back(read_png(input_path, g.values[g.inputs[0]]));
  } else {
    io::SafetensorsContents c = io::read_safetensors(input_path);
    for (int id : g.inputs) {
      const std::string& name = g.values[id].name;
      const Tensor* found = nullptr;
      for (const auto& [k, t] : c.tensors)
        if (k == name) found = &t;
      BRAID_CHECK(found, ValueError, "braid predict", "{} has no tensor '{}' (the model's input)",
                  input_path.string(), name);
      inputs.push_back(*found);
    }
  }
  runtime::Executor ex(std::move(g));
  std::vector<Tensor> outs = ex(inputs);
  nn::StateDict named;
  for (size_t i = 0; i < outs.size(); ++i) {
    const std::string& name = ex.graph().values[ex.graph().outputs[i]].name;
    named.insert(name, outs[i]);
    std::cout << name << ": " << outs[i] << "\n";
    if (outs[i].dim() == 2 && outs[i].size(0) == 1 && is_floating(outs[i].dtype()))
      std::cout << "  argmax: " << argmax(outs[i], 1).item<int64_t>() << "\n";
  }
  if (!out_path.empty()) {
    io::save_safetensors(named, out_path);
    std::cout << "wrote " << out_path.string() << "\n";
  }
}
}  // namespace

void add_model_commands(CLI::App& app, ModelArgs& a) {
  auto* s = app.add_subcommand("summary", "Keras-style summary of a model file or .onnx file");
  s->add_option("FILE", a.file, "braid model file or .onnx file")->required();
  s->callback([&a] { summary(a.file); });

  auto* i = app.add_subcommand(
      "inspect", "tensors (dtype, shape, size), metadata and graph of a safetensors/.onnx file");
  i->add_option("FILE", a.file, "safetensors, braid model or .onnx file")->required();
  i->callback([&a] { inspect(a.file); });

  auto* e = app.add_subcommand("export", "export a braid model file to ONNX (opset 17)");
  e->add_option("FILE", a.file, "braid model file")->required();
  e->add_option("--onnx", a.out, "the .onnx file to write")->required();
  e->callback([&a] {
    onnx::export_onnx(io::load_model(a.file).graph(), a.out);
    std::cout << "wrote " << a.out << "\n";
  });

  auto* im = app.add_subcommand("import", "import an ONNX model as a braid model file");
  im->add_option("IN", a.file, "the .onnx file")->required();
  im->add_option("FILE", a.out, "the braid model file to write")->required();
  im->callback([&a] {
    io::save_model(onnx::import_onnx(a.file), a.out, {{"source", fs::path(a.file).filename()}});
    std::cout << "wrote " << a.out << "\n";
  });

  auto* p = app.add_subcommand("predict", "run a model on a PNG image or named input tensors");
  p->add_option("FILE", a.file, "braid model file or .onnx file")->required();
  p->add_option("INPUT", a.input, "a .png image or a .safetensors file of named inputs")
      ->required();
  p->add_option("--output", a.out, "write the outputs by name to this .safetensors file");
  p->callback([&a] { predict(a.file, a.input, a.out); });
}

}  // namespace braid::tools
