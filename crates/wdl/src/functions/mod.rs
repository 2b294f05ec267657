//! The function library: one module per family of the official reference,
//! and the name table the evaluator dispatches through.
//!
//! `and`, `or`, `if` and `coalesce` are not here: they evaluate their
//! arguments lazily, so the evaluator implements them itself.

mod args;
mod collection;
mod conversion;
mod date;
mod encoding;
mod logical;
mod manipulation;
mod math;
mod string;
mod uri;
mod workflow;

pub(crate) use args::{Args, Num};
pub(crate) use string::check_size as check_string_size;

use crate::error::ExprError;
use crate::value::Val;

/// A function implementation.
pub(crate) type Func = fn(&mut Args) -> Result<Val, ExprError>;

/// Every function, by canonical (documented) name.
const TABLE: &[(&str, Func)] = &[
    // String
    ("chunk", collection::chunk),
    ("concat", string::concat),
    ("endsWith", string::ends_with),
    ("formatNumber", string::format_number),
    ("guid", string::guid),
    ("indexOf", string::index_of),
    ("isFloat", conversion::is_float),
    ("isInt", conversion::is_int),
    ("lastIndexOf", string::last_index_of),
    ("length", string::length),
    ("nthIndexOf", string::nth_index_of),
    ("replace", string::replace),
    ("slice", string::slice),
    ("split", string::split),
    ("startsWith", string::starts_with),
    ("substring", string::substring),
    ("toLower", string::to_lower),
    ("toUpper", string::to_upper),
    ("trim", string::trim),
    // Collection
    ("contains", collection::contains),
    ("empty", collection::empty),
    ("first", collection::first),
    ("intersection", collection::intersection),
    ("join", collection::join),
    ("last", collection::last),
    ("reverse", collection::reverse),
    ("skip", collection::skip),
    ("sort", collection::sort),
    ("take", collection::take),
    ("union", collection::union),
    // Logical comparison
    ("equals", logical::equals),
    ("greater", logical::greater),
    ("greaterOrEquals", logical::greater_or_equals),
    ("less", logical::less),
    ("lessOrEquals", logical::less_or_equals),
    ("not", logical::not),
    // Conversion
    ("array", conversion::array),
    ("base64", encoding::base64),
    ("base64ToBinary", encoding::base64_to_binary),
    ("base64ToString", encoding::base64_to_string),
    ("binary", encoding::binary),
    ("bool", conversion::bool_),
    ("createArray", conversion::create_array),
    ("dataUri", encoding::data_uri),
    ("dataUriToBinary", encoding::data_uri_to_binary),
    ("dataUriToString", encoding::data_uri_to_string),
    ("decimal", conversion::decimal),
    ("decodeBase64", encoding::base64_to_string),
    ("decodeDataUri", encoding::data_uri_to_binary),
    ("decodeUriComponent", encoding::uri_component_to_string),
    ("encodeUriComponent", encoding::uri_component),
    ("float", conversion::float),
    ("int", conversion::int),
    ("json", conversion::json),
    ("string", conversion::string),
    ("uriComponent", encoding::uri_component),
    ("uriComponentToBinary", encoding::uri_component_to_binary),
    ("uriComponentToString", encoding::uri_component_to_string),
    ("xml", conversion::xml),
    // Math
    ("add", math::add),
    ("div", math::div),
    ("max", math::max),
    ("min", math::min),
    ("mod", math::mod_),
    ("mul", math::mul),
    ("rand", math::rand),
    ("range", math::range),
    ("sub", math::sub),
    // Date and time
    ("addDays", date::add_days),
    ("addHours", date::add_hours),
    ("addMinutes", date::add_minutes),
    ("addSeconds", date::add_seconds),
    ("addToTime", date::add_to_time),
    ("convertFromUtc", date::convert_from_utc),
    ("convertTimeZone", date::convert_time_zone),
    ("convertToUtc", date::convert_to_utc),
    ("dateDifference", date::date_difference),
    ("dayOfMonth", date::day_of_month),
    ("dayOfWeek", date::day_of_week),
    ("dayOfYear", date::day_of_year),
    ("formatDateTime", date::format_date_time),
    ("getFutureTime", date::get_future_time),
    ("getPastTime", date::get_past_time),
    ("parseDateTime", date::parse_date_time),
    ("startOfDay", date::start_of_day),
    ("startOfHour", date::start_of_hour),
    ("startOfMonth", date::start_of_month),
    ("subtractFromTime", date::subtract_from_time),
    ("ticks", date::ticks),
    ("utcNow", date::utc_now),
    // Workflow
    ("action", workflow::action),
    ("actions", workflow::actions),
    ("appsetting", workflow::appsetting),
    ("body", workflow::body),
    ("formDataMultiValues", workflow::form_data_multi_values),
    ("formDataValue", workflow::form_data_value),
    ("item", workflow::item),
    ("items", workflow::items),
    ("iterationIndexes", workflow::iteration_indexes),
    ("listCallbackUrl", workflow::list_callback_url),
    ("multipartBody", workflow::multipart_body),
    ("outputs", workflow::outputs),
    ("parameters", workflow::parameters),
    ("result", workflow::result),
    ("trigger", workflow::trigger),
    ("triggers", workflow::trigger),
    ("triggerBody", workflow::trigger_body),
    (
        "triggerFormDataMultiValues",
        workflow::trigger_form_data_multi_values,
    ),
    ("triggerFormDataValue", workflow::trigger_form_data_value),
    ("triggerMultipartBody", workflow::trigger_multipart_body),
    ("triggerOutputs", workflow::trigger_outputs),
    ("variables", workflow::variables),
    ("workflow", workflow::workflow),
    // URI parsing
    ("uriHost", uri::uri_host),
    ("uriPath", uri::uri_path),
    ("uriPathAndQuery", uri::uri_path_and_query),
    ("uriPort", uri::uri_port),
    ("uriQuery", uri::uri_query),
    ("uriScheme", uri::uri_scheme),
    // Manipulation
    ("addProperty", manipulation::add_property),
    ("removeProperty", manipulation::remove_property),
    ("setProperty", manipulation::set_property),
    ("xpath", manipulation::xpath),
];

/// Names handled directly by the evaluator (lazy argument evaluation).
pub const LAZY_FUNCTIONS: &[&str] = &["and", "coalesce", "if", "or"];

/// Finds a function by lower-case name.
pub(crate) fn lookup(lower: &str) -> Option<(&'static str, Func)> {
    TABLE
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(lower))
        .map(|(name, f)| (*name, *f))
}

/// The documented names of every function the library implements, including
/// the lazy ones, sorted case-insensitively.
pub fn function_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = TABLE.iter().map(|(n, _)| *n).collect();
    names.extend_from_slice(LAZY_FUNCTIONS);
    names.sort_by_key(|n| n.to_ascii_lowercase());
    names
}
