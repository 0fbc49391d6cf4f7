// Escaping text for XML and HTML: one function for every writer of XML (JUnit files, the
// HTML reports), so no writer forgets a character.
//
//   xml_escape("a<b & \"c\"")  -> "a&lt;b &amp; &quot;c&quot;"
//   xml_escape("bell\x07")     -> "bell "   (XML 1.0 has no control characters)
#pragma once

#include <string>
#include <string_view>

namespace selfheal::core {

/// Escapes & < > " ' for XML and HTML text and attributes; a control character other than
/// tab, newline and carriage return (not allowed in XML 1.0) becomes a space.
std::string xml_escape(std::string_view s);

}  // namespace selfheal::core
