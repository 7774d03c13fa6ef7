// XmlChecker: a small well-formedness check of XML for the SVG files the programs write (no
// DTD): one root element, balanced tags, quoted unique attributes, known entities only, nothing
// but comments and blanks around. XmlChecker(text).check() is "" or what is wrong and where.
#pragma once
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace gatgrad::testing {

class XmlChecker {
 public:
  explicit XmlChecker(std::string text) : s_(std::move(text)) {}
  // "" when well-formed, else what is wrong and where.
  std::string check() {
    try {
      if (s_.compare(0, 5, "<?xml") == 0) skip_past("?>");
      misc();
      if (peek() != '<') return err("expected the root element");
      root_ = element();
      misc();
      if (i_ != s_.size()) return err("text after the root element");
      return "";
    } catch (const std::string& e) {
      return e;
    }
  }
  const std::string& root() const { return root_; }
  const std::map<std::string, int>& counts() const { return counts_; }

 private:
  std::string err(const std::string& what) const { return what + " at byte " + std::to_string(i_); }
  [[noreturn]] void fail(const std::string& what) const { throw err(what); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void skip_past(const std::string& end) {
    const size_t at = s_.find(end, i_);
    if (at == std::string::npos) fail("unterminated '" + end + "'");
    i_ = at + end.size();
  }
  void misc() {  // blanks and comments
    for (;;) {
      skip_ws();
      if (s_.compare(i_, 4, "<!--") != 0) return;
      skip_past("-->");
    }
  }
  std::string name() {
    const size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || std::strchr("_:-.", s_[i_]))) ++i_;
    if (i_ == start || std::isdigit(static_cast<unsigned char>(s_[start])) || s_[start] == '-' || s_[start] == '.')
      fail("expected a name");
    return s_.substr(start, i_ - start);
  }
  void entity() {  // at '&'
    const size_t end = s_.find(';', i_);
    if (end == std::string::npos || end - i_ > 10) fail("'&' that starts no entity");
    const std::string e = s_.substr(i_ + 1, end - i_ - 1);
    static const std::set<std::string> known = {"amp", "lt", "gt", "quot", "apos"};
    const bool numeric = e.size() > 1 && e[0] == '#' &&
                         e.find_first_not_of(e[1] == 'x' ? "0123456789abcdefABCDEF" : "0123456789", e[1] == 'x' ? 2 : 1) == std::string::npos;
    if (!known.count(e) && !numeric) fail("unknown entity &" + e + ";");
    i_ = end + 1;
  }
  std::string element() {  // at '<'
    ++i_;
    const std::string tag = name();
    ++counts_[tag];
    std::set<std::string> attrs;
    for (;;) {
      const bool space = i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]));
      skip_ws();
      if (s_.compare(i_, 2, "/>") == 0) { i_ += 2; return tag; }
      if (peek() == '>') { ++i_; break; }
      if (!space) fail("expected a blank before an attribute of <" + tag + ">");
      const std::string attr = name();
      if (!attrs.insert(attr).second) fail("duplicate attribute " + attr + " in <" + tag + ">");
      skip_ws();
      if (peek() != '=') fail("expected '=' after attribute " + attr);
      ++i_;
      skip_ws();
      const char q = peek();
      if (q != '\'' && q != '"') fail("unquoted value of attribute " + attr);
      ++i_;
      while (peek() != q) {
        if (i_ >= s_.size() || peek() == '<') fail("bad value of attribute " + attr);
        if (peek() == '&') entity(); else ++i_;
      }
      ++i_;
    }
    for (;;) {  // content
      if (i_ >= s_.size()) fail("<" + tag + "> is not closed");
      if (s_.compare(i_, 4, "<!--") == 0) { skip_past("-->"); continue; }
      if (s_.compare(i_, 2, "</") == 0) {
        i_ += 2;
        const std::string closing = name();
        if (closing != tag) fail("</" + closing + "> closes <" + tag + ">");
        skip_ws();
        if (peek() != '>') fail("expected '>'");
        ++i_;
        return tag;
      }
      if (peek() == '<') { element(); continue; }
      if (peek() == '&') { entity(); continue; }
      ++i_;
    }
  }

  std::string s_;
  size_t i_ = 0;
  std::string root_;
  std::map<std::string, int> counts_;
};

}  // namespace gatgrad::testing
