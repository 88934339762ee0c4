// An enumeration value read from the wire that remembers a string this version does not know.
#pragma once

#include <string>
#include <utility>

namespace pieces {

/// Holds an enumerator of `E` (which must have `UNKNOWN`). A string the server sent that this version
/// does not know reads as `E::UNKNOWN` and keeps its text in `unknown_text()`, so that writing the model
/// back sends exactly what was received. Compares equal to an `E`: `url.status == AllocationStatusEnum::RUNNING`.
template <class E>
class wire_enum {
public:
    /// `E::UNKNOWN`, with no text.
    wire_enum() = default;
    /// A known enumerator.
    wire_enum(E e) noexcept : value_(e) {}  // NOLINT: implicit by design, `status = RUNNING`

    /// An unknown value as received; `value()` is `E::UNKNOWN`.
    static wire_enum from_unknown_text(std::string text) {
        wire_enum w;
        w.unknown_text_ = std::move(text);
        w.has_unknown_text_ = true;
        return w;
    }

    /// The enumerator; `E::UNKNOWN` for a string this version does not know.
    E value() const noexcept { return value_; }
    /// Same as `value()`.
    operator E() const noexcept { return value_; }  // NOLINT: lets `switch (url.status)` work
    /// True when this holds a string received that was not a known enumerator (even an empty one).
    bool has_unknown_text() const noexcept { return has_unknown_text_; }
    /// The string received when it was not a known enumerator (see `has_unknown_text()`); empty otherwise.
    const std::string& unknown_text() const noexcept { return unknown_text_; }

    friend bool operator==(const wire_enum& a, const wire_enum& b) = default;
    friend bool operator==(const wire_enum& a, E b) noexcept { return a.value_ == b; }

private:
    E value_ = E::UNKNOWN;
    std::string unknown_text_;
    bool has_unknown_text_ = false;  // an empty string received is unknown text too, and is written back
};

}  // namespace pieces
