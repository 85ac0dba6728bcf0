#pragma once
/// ModuleList and ModuleDict: hold child modules of any type (type-erased,
/// owned as in Note [module ownership]) so their parameters are registered,
/// without a forward of their own. Children of a list are named "0", "1",
/// ...; of a dict, by key -- as in PyTorch, so state-dict keys read
/// "layers.0.weight" / "heads.cls.weight".
///
///     nn::ModuleList& blocks = register_module("blocks", nn::ModuleList{});
///     for (int i = 0; i < 3; ++i) blocks.append(nn::Linear(8, 8));
///     for (nn::Module& b : blocks) x = b(x);
#include <concepts>
#include <string>
#include <vector>

#include "braid/nn/module.hpp"

namespace braid::nn {

namespace detail {
/// Iterates Module& over child pointers (stable: children live on the heap).
struct ModuleIterator {
  std::vector<Module*>::const_iterator it;
  Module& operator*() const { return **it; }
  ModuleIterator& operator++() {
    ++it;
    return *this;
  }
  bool operator==(const ModuleIterator& o) const { return it == o.it; }
};
/// The child `m` as T&, or a ValueError naming what it is.
template <class T>
T& cast_child(Module& m, const char* where) {
  T* p = dynamic_cast<T*>(&m);
  BRAID_CHECK(p != nullptr, ValueError, where, "'{}' is a {}, not the type asked for", m.name(),
              m.type_name());
  return *p;
}
}  // namespace detail

class ModuleList : public Module {
 public:
  ModuleList() = default;
  /// nn::ModuleList{nn::Linear(4, 4), nn::ReLU()}
  template <class... M>
  requires(sizeof...(M) > 0 && (std::derived_from<std::decay_t<M>, Module> && ...))
      ModuleList(M&&... modules) {  // NOLINT: braces read as a list of modules
    (append(std::forward<M>(modules)), ...);
  }
  /// Adds a module at the end; returns it.
  template <class M>
  M& append(M&& module) {
    M& m = register_module(std::to_string(size()), std::forward<M>(module));
    items_.push_back(&m);
    return m;
  }
  size_t size() const { return items_.size(); }
  bool empty() const { return size() == 0; }
  /// The i-th module; negative i counts from the end. Throws IndexError.
  Module& operator[](int64_t i) const;
  /// The i-th module as T. Throws IndexError, or ValueError for another type.
  template <class T>
  T& at(int64_t i) const {
    return detail::cast_child<T>((*this)[i], "ModuleList");
  }
  /// `for (nn::Module& m : list)`, in order.
  detail::ModuleIterator begin() const { return {items_.begin()}; }
  detail::ModuleIterator end() const { return {items_.end()}; }

 private:
  std::vector<Module*> items_;
};

class ModuleDict : public Module {
 public:
  ModuleDict() = default;
  /// Adds (or, for an existing key, throws ValueError) module `key`; returns it.
  template <class M>
  M& insert(std::string key, M&& module) {
    const std::string k = key;
    M& m = register_module(std::move(key), std::forward<M>(module));
    items_.emplace_back(k, &m);
    return m;
  }
  size_t size() const { return items_.size(); }
  bool empty() const { return size() == 0; }
  bool contains(std::string_view key) const;
  /// The module `key`. Throws ValueError listing the keys.
  Module& operator[](std::string_view key) const { return child(key); }
  template <class T>
  T& at(std::string_view key) const {
    return detail::cast_child<T>(child(key), "ModuleDict");
  }
  /// Keys in insertion order.
  std::vector<std::string> keys() const;
  /// (key, module) in insertion order.
  const std::vector<std::pair<std::string, Module*>>& items() const { return items_; }
  /// `for (auto& [key, module] : dict)`, in insertion order.
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::pair<std::string, Module*>> items_;
};

}  // namespace braid::nn
