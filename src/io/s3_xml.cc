#include "io/s3_xml.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace cardinalsin::io {
namespace {

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Name characters: ASCII letters, digits and _ : . - plus any non-ASCII byte (UTF-8 names).
bool IsNameChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return absl::ascii_isalnum(u) || c == '_' || c == ':' || c == '.' || c == '-' || u >= 0x80;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class XmlParser {
 public:
  explicit XmlParser(std::string_view doc) : doc_(doc) {}

  absl::StatusOr<XmlElement> ParseDocument() {
    if (doc_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
    CS_RETURN_IF_ERROR(SkipMisc());
    if (AtEnd() || doc_[pos_] != '<') return Error("expected the root element");
    XmlElement root;
    CS_RETURN_IF_ERROR(ParseElement(1, &root));
    CS_RETURN_IF_ERROR(SkipMisc());
    if (!AtEnd()) return Error("content after the root element");
    return root;
  }

 private:
  bool AtEnd() const { return pos_ >= doc_.size(); }
  bool LookingAt(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        base::StrCat("malformed XML at byte ", pos_, " of ", doc_.size(), ": ", what));
  }

  void SkipSpace() {
    while (!AtEnd() && IsXmlSpace(doc_[pos_])) ++pos_;
  }

  // Skips to just past `terminator`, or fails naming `what` if it never comes.
  absl::Status SkipPast(std::string_view terminator, std::string_view what) {
    const size_t end = doc_.find(terminator, pos_);
    if (end == std::string_view::npos) return Error(base::StrCat("unterminated ", what));
    pos_ = end + terminator.size();
    return absl::OkStatus();
  }

  // Whitespace, comments, processing instructions (including the XML declaration) around the
  // root element. A DOCTYPE is refused: S3 never sends one and it could declare entities.
  absl::Status SkipMisc() {
    while (true) {
      SkipSpace();
      if (LookingAt("<?")) {
        CS_RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
      } else if (LookingAt("<!--")) {
        CS_RETURN_IF_ERROR(SkipPast("-->", "comment"));
      } else if (LookingAt("<!")) {
        return Error("DOCTYPE and other declarations are not supported");
      } else {
        return absl::OkStatus();
      }
    }
  }

  absl::StatusOr<std::string_view> ParseName() {
    const size_t start = pos_;
    while (!AtEnd() && IsNameChar(doc_[pos_])) ++pos_;
    if (pos_ == start) return Error("expected a name");
    const char first = doc_[start];
    if (absl::ascii_isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '.') {
      pos_ = start;
      return Error("a name cannot start with a digit, '-' or '.'");
    }
    return doc_.substr(start, pos_ - start);
  }

  // At '&': decodes one entity or character reference and appends it to `out`.
  absl::Status ParseReference(std::string* out) {
    const size_t semi = doc_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) return Error("unterminated '&'");
    const std::string_view ref = doc_.substr(pos_ + 1, semi - pos_ - 1);
    if (ref == "amp") {
      out->push_back('&');
    } else if (ref == "lt") {
      out->push_back('<');
    } else if (ref == "gt") {
      out->push_back('>');
    } else if (ref == "quot") {
      out->push_back('"');
    } else if (ref == "apos") {
      out->push_back('\'');
    } else if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return Error("empty character reference");
      uint32_t cp = 0;
      for (char c : digits) {
        const auto u = static_cast<unsigned char>(c);
        uint32_t digit;
        if (absl::ascii_isdigit(u)) {
          digit = c - '0';
        } else if (hex && absl::ascii_isxdigit(u)) {
          digit = absl::ascii_tolower(u) - 'a' + 10;
        } else {
          return Error("bad digit in character reference");
        }
        cp = cp * (hex ? 16 : 10) + digit;
        if (cp > 0x10FFFF) return Error("character reference out of range");
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return Error("invalid character reference");
      AppendUtf8(cp, out);
    } else {
      return Error(base::StrCat("unknown entity '&", ref, ";'"));
    }
    pos_ = semi + 1;
    return absl::OkStatus();
  }

  // At the opening quote of an attribute value; the value is checked and discarded.
  absl::Status SkipAttributeValue() {
    if (AtEnd() || (doc_[pos_] != '"' && doc_[pos_] != '\'')) {
      return Error("expected a quoted attribute value");
    }
    const char quote = doc_[pos_++];
    std::string ignored;
    while (true) {
      if (AtEnd()) return Error("unterminated attribute value");
      const char c = doc_[pos_];
      if (c == quote) {
        ++pos_;
        return absl::OkStatus();
      }
      if (c == '<') return Error("'<' in an attribute value");
      if (c == '&') {
        CS_RETURN_IF_ERROR(ParseReference(&ignored));
      } else {
        ++pos_;
      }
    }
  }

  // At '<' of a start tag: parses the element and everything up to its end tag.
  absl::Status ParseElement(int depth, XmlElement* element) {
    if (depth > kMaxXmlDepth) return Error("elements nested too deeply");
    ++pos_;  // '<'
    CS_ASSIGN_OR_RETURN(std::string_view name, ParseName());
    element->name = std::string(name);
    while (true) {
      const size_t before_space = pos_;
      SkipSpace();
      if (AtEnd()) return Error("unterminated start tag");
      if (LookingAt("/>")) {
        pos_ += 2;
        return absl::OkStatus();
      }
      if (doc_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (pos_ == before_space) return Error("expected whitespace before an attribute");
      CS_RETURN_IF_ERROR(ParseName().status());
      SkipSpace();
      if (AtEnd() || doc_[pos_] != '=') return Error("expected '=' after an attribute name");
      ++pos_;
      SkipSpace();
      CS_RETURN_IF_ERROR(SkipAttributeValue());
    }
    // Content.
    while (true) {
      if (AtEnd()) return Error(base::StrCat("unclosed element <", name, ">"));
      const char c = doc_[pos_];
      if (c == '&') {
        CS_RETURN_IF_ERROR(ParseReference(&element->text));
      } else if (c != '<') {
        const size_t next = doc_.find_first_of("<&", pos_);
        const size_t end = next == std::string_view::npos ? doc_.size() : next;
        element->text.append(doc_.substr(pos_, end - pos_));
        pos_ = end;
      } else if (LookingAt("</")) {
        pos_ += 2;
        CS_ASSIGN_OR_RETURN(std::string_view end_name, ParseName());
        if (end_name != name) {
          return Error(base::StrCat("end tag </", end_name, "> does not match <", name, ">"));
        }
        SkipSpace();
        if (AtEnd() || doc_[pos_] != '>') return Error("unterminated end tag");
        ++pos_;
        return absl::OkStatus();
      } else if (LookingAt("<![CDATA[")) {
        pos_ += 9;
        const size_t end = doc_.find("]]>", pos_);
        if (end == std::string_view::npos) return Error("unterminated CDATA section");
        element->text.append(doc_.substr(pos_, end - pos_));
        pos_ = end + 3;
      } else if (LookingAt("<!--")) {
        CS_RETURN_IF_ERROR(SkipPast("-->", "comment"));
      } else if (LookingAt("<?")) {
        CS_RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
      } else if (LookingAt("<!")) {
        return Error("declaration inside an element");
      } else {
        element->children.emplace_back();
        CS_RETURN_IF_ERROR(ParseElement(depth + 1, &element->children.back()));
      }
    }
  }

  std::string_view doc_;
  size_t pos_ = 0;
};

absl::Status MalformedResponse(std::string_view document, std::string_view why) {
  return absl::InvalidArgumentError(base::StrCat("malformed ", document, ": ", why));
}

absl::StatusOr<XmlElement> ParseRoot(std::string_view body, std::string_view root_name) {
  CS_ASSIGN_OR_RETURN(XmlElement root, ParseXml(body));
  if (root.name != root_name) {
    return MalformedResponse(root_name, base::StrCat("root element is <", root.name, ">"));
  }
  return root;
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& child : children) {
    if (child.name == child_name) return &child;
  }
  return nullptr;
}

std::string_view XmlElement::ChildText(std::string_view child_name) const {
  const XmlElement* child = Child(child_name);
  return child == nullptr ? std::string_view() : std::string_view(child->text);
}

absl::StatusOr<XmlElement> ParseXml(std::string_view document) {
  return XmlParser(document).ParseDocument();
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::string> UrlDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else if (c == '%') {
      int value = 0;
      if (i + 2 >= text.size()) {
        return absl::InvalidArgumentError(
            base::StrCat("truncated %-escape in URL-encoded text '", text, "'"));
      }
      for (size_t j = i + 1; j <= i + 2; ++j) {
        const auto u = static_cast<unsigned char>(text[j]);
        if (!absl::ascii_isxdigit(u)) {
          return absl::InvalidArgumentError(
              base::StrCat("bad %-escape in URL-encoded text '", text, "'"));
        }
        value = value * 16 + (absl::ascii_isdigit(u) ? u - '0' : absl::ascii_tolower(u) - 'a' + 10);
      }
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view StripEtagQuotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    return etag.substr(1, etag.size() - 2);
  }
  return etag;
}

absl::StatusOr<absl::Time> ParseIso8601(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, base::AsAbsl(text), &t, &err)) {
    return absl::InvalidArgumentError(base::StrCat("bad ISO 8601 timestamp '", text, "': ", err));
  }
  return t;
}

absl::StatusOr<S3ErrorDocument> ParseS3Error(std::string_view body) {
  CS_ASSIGN_OR_RETURN(XmlElement root, ParseRoot(body, "Error"));
  return S3ErrorDocument{.code = std::string(root.ChildText("Code")),
                         .message = std::string(root.ChildText("Message")),
                         .resource = std::string(root.ChildText("Resource")),
                         .bucket_name = std::string(root.ChildText("BucketName")),
                         .key = std::string(root.ChildText("Key")),
                         .request_id = std::string(root.ChildText("RequestId"))};
}

absl::StatusOr<ListPage> ParseListObjectsV2Result(std::string_view body) {
  constexpr std::string_view kDoc = "ListBucketResult";
  CS_ASSIGN_OR_RETURN(XmlElement root, ParseRoot(body, kDoc));
  const std::string_view encoding = root.ChildText("EncodingType");
  if (!encoding.empty() && encoding != "url") {
    return MalformedResponse(kDoc, base::StrCat("unknown EncodingType '", encoding, "'"));
  }
  const bool url_encoded = encoding == "url";
  auto decode = [&](std::string_view text) -> absl::StatusOr<std::string> {
    if (!url_encoded) return std::string(text);
    return UrlDecode(text, /*plus_as_space=*/true);
  };

  ListPage page;
  for (const XmlElement& child : root.children) {
    if (child.name == "Contents") {
      const XmlElement* key = child.Child("Key");
      if (key == nullptr || key->text.empty())
        return MalformedResponse(kDoc, "Contents without Key");
      ObjectMeta meta;
      CS_ASSIGN_OR_RETURN(meta.key, decode(key->text));
      const std::string_view size = child.ChildText("Size");
      if (!absl::SimpleAtoi(base::AsAbsl(size), &meta.size)) {
        return MalformedResponse(kDoc,
                                 base::StrCat("bad Size '", size, "' for key '", meta.key, "'"));
      }
      meta.etag = std::string(StripEtagQuotes(child.ChildText("ETag")));
      if (const XmlElement* modified = child.Child("LastModified"); modified != nullptr) {
        CS_ASSIGN_OR_RETURN(meta.last_modified, ParseIso8601(modified->text));
      }
      page.objects.push_back(std::move(meta));
    } else if (child.name == "CommonPrefixes") {
      const XmlElement* prefix = child.Child("Prefix");
      if (prefix == nullptr) return MalformedResponse(kDoc, "CommonPrefixes without Prefix");
      CS_ASSIGN_OR_RETURN(std::string decoded, decode(prefix->text));
      page.common_prefixes.push_back(std::move(decoded));
    }
  }
  const std::string_view truncated = root.ChildText("IsTruncated");
  if (truncated == "true") {
    page.next_continuation_token = std::string(root.ChildText("NextContinuationToken"));
    if (page.next_continuation_token.empty()) {
      return MalformedResponse(kDoc, "IsTruncated is true but NextContinuationToken is missing");
    }
  } else if (!truncated.empty() && truncated != "false") {
    return MalformedResponse(kDoc, base::StrCat("bad IsTruncated '", truncated, "'"));
  }
  return page;
}

absl::StatusOr<std::string> ParseInitiateMultipartUploadResult(std::string_view body) {
  constexpr std::string_view kDoc = "InitiateMultipartUploadResult";
  CS_ASSIGN_OR_RETURN(XmlElement root, ParseRoot(body, kDoc));
  std::string upload_id(root.ChildText("UploadId"));
  if (upload_id.empty()) return MalformedResponse(kDoc, "missing UploadId");
  return upload_id;
}

absl::StatusOr<std::string> ParseCompleteMultipartUploadResult(std::string_view body) {
  constexpr std::string_view kDoc = "CompleteMultipartUploadResult";
  CS_ASSIGN_OR_RETURN(XmlElement root, ParseRoot(body, kDoc));
  return std::string(StripEtagQuotes(root.ChildText("ETag")));
}

std::string BuildCompleteMultipartUpload(const std::vector<std::pair<int, std::string>>& parts) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& [number, etag] : parts) {
    base::StrAppend(&out, "<Part><PartNumber>", number, "</PartNumber><ETag>&quot;",
                    XmlEscape(etag), "&quot;</ETag></Part>");
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

}  // namespace cardinalsin::io
