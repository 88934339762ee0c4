// The public conversions of every model (json.hpp), compiled once for each model of PIECES_FOR_EACH_MODEL.
#include "models/model_codec.hpp"

#include <pieces/error.hpp>
#include <pieces/error_with_diagnostics.hpp>

#include <boost/json/serialize.hpp>

namespace pieces {

template <model T>
boost::system::result<T> try_from_json(std::string_view text, diagnostics* diag) {
    T out;
    std::string error;
    if (!detail::decode_text(text, out, error)) {
        if (diag) detail::access::set_client_message(*diag, std::move(error));
        return make_error_code(errc::invalid_response);
    }
    return out;
}

template <model T>
T from_json(std::string_view text) {
    diagnostics diag;
    auto r = try_from_json<T>(text, &diag);
    if (!r) throw error_with_diagnostics(r.error(), std::move(diag));
    return std::move(*r);
}

template <model T>
std::string to_json(const T& m) {
    return boost::json::serialize(detail::to_value(m));
}

template <model T>
void tag_invoke(const boost::json::value_from_tag&, boost::json::value& jv, const T& m) {
    detail::write_model(jv.emplace_object(), m);
}

template <model T>
T tag_invoke(const boost::json::value_to_tag<T>&, const boost::json::value& jv) {
    T out;
    std::string error;
    if (!detail::decode_value(jv, out, error)) {
        diagnostics diag;
        detail::access::set_client_message(diag, std::move(error));
        throw error_with_diagnostics(make_error_code(errc::invalid_response), std::move(diag));
    }
    return out;
}

template <model T>
boost::system::result<T> tag_invoke(const boost::json::try_value_to_tag<T>&, const boost::json::value& jv) {
    T out;
    std::string error;
    if (!detail::decode_value(jv, out, error)) return make_error_code(errc::invalid_response);
    return out;
}

#define PIECES_INSTANTIATE(T)                                                                                   \
    template boost::system::result<T> try_from_json<T>(std::string_view, diagnostics*);                         \
    template T from_json<T>(std::string_view);                                                                  \
    template std::string to_json<T>(const T&);                                                                  \
    template void tag_invoke<T>(const boost::json::value_from_tag&, boost::json::value&, const T&);             \
    template T tag_invoke<T>(const boost::json::value_to_tag<T>&, const boost::json::value&);                   \
    template boost::system::result<T> tag_invoke<T>(const boost::json::try_value_to_tag<T>&,                    \
                                                    const boost::json::value&);

PIECES_FOR_EACH_MODEL(PIECES_INSTANTIATE)

#undef PIECES_INSTANTIATE

}  // namespace pieces
