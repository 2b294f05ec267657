//! The static member table: which properties and methods exist on which type. The checker
//! uses it to refuse unsupported members at load time; the evaluator implements exactly
//! these (the `coverage` test evaluates every entry).

use super::ast::TypeName;
use super::value::Class;

/// Static types known to the checker. `Any` is `object` (a variable's value): members on it
/// are accepted when *some* supported type has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `object` / unknown.
    Any,
    /// No value (`context.Trace`).
    Void,
    /// `string`
    Str,
    /// `int` / `long`
    Int,
    /// `double`
    Double,
    /// `bool`
    Bool,
    /// `char`
    Char,
    /// `string[]`
    StrArray,
    /// `byte[]`
    Bytes,
    /// `DateTime`
    DateTime,
    /// `TimeSpan`
    TimeSpan,
    /// `Guid`
    Guid,
    /// `JToken` and friends.
    Json,
    /// `Jwt`
    Jwt,
    /// `BasicAuthCredentials`
    Basic,
    /// `context`
    Context,
    /// `IRequest`
    Request,
    /// `IResponse` (also `context.Response`).
    Response,
    /// `IMessageBody`
    Body,
    /// `IUrl`
    Url,
    /// A read-only string dictionary (headers, query, claims, matched parameters).
    Dict,
    /// `context.Variables`
    Variables,
    /// `ISubscription`
    Subscription,
    /// `IUser`
    User,
    /// `ProxyError`
    LastError,
    /// `IApi`
    Api,
    /// `IOperation`
    Operation,
    /// `IProduct`
    Product,
    /// `IDeployment`
    Deployment,
    /// A static class.
    Static(Class),
    /// `StringComparison`
    Comparison,
    /// `Encoding`
    Encoding,
}

/// Every instance type, for looking up members on `object`.
const INSTANCE_TYPES: [Ty; 27] = [
    Ty::Str,
    Ty::Int,
    Ty::Double,
    Ty::Bool,
    Ty::Char,
    Ty::StrArray,
    Ty::Bytes,
    Ty::DateTime,
    Ty::TimeSpan,
    Ty::Guid,
    Ty::Json,
    Ty::Jwt,
    Ty::Basic,
    Ty::Context,
    Ty::Request,
    Ty::Response,
    Ty::Body,
    Ty::Url,
    Ty::Dict,
    Ty::Variables,
    Ty::Subscription,
    Ty::User,
    Ty::LastError,
    Ty::Api,
    Ty::Operation,
    Ty::Product,
    Ty::Deployment,
];

/// Whether a member is a property or a method (with its accepted argument counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A property.
    Prop,
    /// A method taking `min..=max` arguments.
    Method(u8, u8),
}

/// A member's kind and result; `None` result means "the generic argument's type".
pub type Member = (Kind, Option<Ty>);

impl Ty {
    /// The type a C# type name denotes.
    pub fn from_type_name(t: TypeName) -> Ty {
        match t {
            TypeName::String => Ty::Str,
            TypeName::Int | TypeName::Long => Ty::Int,
            TypeName::Bool => Ty::Bool,
            TypeName::Double => Ty::Double,
            TypeName::Char => Ty::Char,
            TypeName::Object => Ty::Any,
            TypeName::Jwt => Ty::Jwt,
            TypeName::IResponse => Ty::Response,
            TypeName::JObject | TypeName::JArray | TypeName::JToken => Ty::Json,
            TypeName::DateTime => Ty::DateTime,
            TypeName::TimeSpan => Ty::TimeSpan,
            TypeName::Guid => Ty::Guid,
            TypeName::StringArray => Ty::StrArray,
            TypeName::ByteArray => Ty::Bytes,
        }
    }

    /// What `x[i]` yields, if `x` can be indexed.
    pub fn index(self) -> Option<Ty> {
        Some(match self {
            Ty::Str => Ty::Char,
            Ty::StrArray => Ty::Str,
            Ty::Bytes => Ty::Int,
            Ty::Json => Ty::Json,
            Ty::Dict | Ty::Variables | Ty::Any => Ty::Any,
            _ => return None,
        })
    }

    /// A member of an instance of this type.
    pub fn member(self, name: &str) -> Option<Member> {
        if self == Ty::Any {
            return INSTANCE_TYPES
                .iter()
                .find_map(|t| t.member(name))
                .map(|(kind, _)| (kind, Some(Ty::Any)));
        }
        if let Ty::Static(class) = self {
            return static_member(class, name);
        }
        if name == "ToString" {
            return Some((Kind::Method(0, 1), Some(Ty::Str)));
        }
        if name == "Equals" && !matches!(self, Ty::Str) {
            return Some((Kind::Method(1, 1), Some(Ty::Bool)));
        }
        instance_member(self, name)
    }
}

fn prop(t: Ty) -> Option<Member> {
    Some((Kind::Prop, Some(t)))
}

fn method(min: u8, max: u8, t: Ty) -> Option<Member> {
    Some((Kind::Method(min, max), Some(t)))
}

fn generic(min: u8, max: u8) -> Option<Member> {
    Some((Kind::Method(min, max), None))
}

fn instance_member(recv: Ty, name: &str) -> Option<Member> {
    use Ty::*;
    match (recv, name) {
        (Context, "Api") => prop(Api),
        (Context, "Deployment") => prop(Deployment),
        (Context, "Elapsed") => prop(TimeSpan),
        (Context, "LastError") => prop(LastError),
        (Context, "Operation") => prop(Operation),
        (Context, "Product") => prop(Product),
        (Context, "Request") => prop(Request),
        (Context, "RequestId") => prop(Guid),
        (Context, "Response") => prop(Response),
        (Context, "Subscription") => prop(Subscription),
        (Context, "Timestamp") => prop(DateTime),
        (Context, "Tracing") => prop(Bool),
        (Context, "User") => prop(User),
        (Context, "Variables") => prop(Variables),
        (Context, "Trace") => method(1, 1, Void),

        (Request, "Body") | (Response, "Body") => prop(Body),
        (Request, "Headers") | (Response, "Headers") => prop(Dict),
        (Request, "IpAddress" | "Method") => prop(Str),
        (Request, "MatchedParameters") => prop(Dict),
        (Request, "Url" | "OriginalUrl") => prop(Url),
        (Response, "StatusCode") => prop(Int),
        (Response, "StatusReason") => prop(Str),

        (Body, "As") => generic(0, 1),

        (Url, "Host" | "Path" | "QueryString" | "Scheme") => prop(Str),
        (Url, "Port") => prop(Int),
        (Url, "Query") => prop(Dict),

        (Dict, "GetValueOrDefault") => method(1, 2, Any),
        (Dict | Variables | Json, "ContainsKey") => method(1, 1, Bool),
        (Dict | Variables | Json, "Count") => prop(Int),
        (Variables, "GetValueOrDefault") => generic(1, 2),

        (Subscription, "Id" | "Key" | "Name" | "PrimaryKey" | "SecondaryKey") => prop(Str),
        (Subscription, "StartDate" | "EndDate") => prop(DateTime),
        (User, "Id" | "Email" | "FirstName" | "LastName" | "Note") => prop(Str),
        (
            LastError,
            "Source" | "Reason" | "Message" | "Scope" | "Section" | "Path" | "PolicyId",
        ) => prop(Str),
        (Api, "Id" | "Name" | "Path" | "Version" | "Revision") => prop(Str),
        (Api, "IsCurrentRevision") => prop(Bool),
        (Api, "ServiceUrl") => prop(Url),
        (Operation, "Id" | "Name" | "Method" | "UrlTemplate") => prop(Str),
        (Product, "Id" | "Name" | "State") => prop(Str),
        (Product, "SubscriptionRequired" | "ApprovalRequired") => prop(Bool),
        (Deployment, "Region" | "ServiceName" | "GatewayId" | "ServiceId") => prop(Str),

        (Jwt, "Algorithm" | "Id" | "Issuer" | "Subject" | "Type") => prop(Str),
        (Jwt, "Audiences") => prop(StrArray),
        (Jwt, "Claims") => prop(Dict),
        (Jwt, "ExpirationTime" | "IssuedAt" | "NotBefore") => prop(DateTime),
        (Basic, "UserId" | "Password") => prop(Str),

        (Str | StrArray | Bytes, "Length") => prop(Int),
        (Str, "Substring") => method(1, 2, Str),
        (Str, "Split") => method(1, 3, StrArray),
        (Str, "StartsWith" | "EndsWith" | "Equals") => method(1, 2, Bool),
        (Str, "Contains") => method(1, 2, Bool),
        (Str, "ToUpper" | "ToLower" | "ToUpperInvariant" | "ToLowerInvariant") => method(0, 0, Str),
        (Str, "Trim" | "TrimStart" | "TrimEnd") => method(0, 1, Str),
        (Str, "Replace") => method(2, 2, Str),
        (Str, "PadLeft" | "PadRight") => method(1, 2, Str),
        (Str, "IndexOf" | "LastIndexOf") => method(1, 2, Int),
        (Str, "AsJwt") => method(0, 0, Jwt),
        (Str, "AsBasic") => method(0, 0, Basic),

        (StrArray, "Contains") => method(1, 1, Bool),
        (StrArray, "First" | "FirstOrDefault" | "Last" | "LastOrDefault") => method(0, 0, Str),
        (StrArray, "Any") => method(0, 0, Bool),
        (StrArray, "Count") => method(0, 0, Int),

        (DateTime, "Year" | "Month" | "Day" | "Hour" | "Minute" | "Second" | "Millisecond") => {
            prop(Int)
        }
        (DateTime, "Ticks") => prop(Int),
        (DateTime, "Date") => prop(DateTime),
        (DateTime, "AddMilliseconds" | "AddSeconds" | "AddMinutes" | "AddHours" | "AddDays") => {
            method(1, 1, DateTime)
        }
        (DateTime, "ToUniversalTime") => method(0, 0, DateTime),
        (DateTime, "Subtract") => method(1, 1, TimeSpan),
        (
            TimeSpan,
            "TotalMilliseconds" | "TotalSeconds" | "TotalMinutes" | "TotalHours" | "TotalDays",
        ) => prop(Double),
        (TimeSpan, "Milliseconds" | "Seconds" | "Minutes" | "Hours" | "Days") => prop(Int),

        (Encoding, "GetBytes") => method(1, 1, Bytes),
        (Encoding, "GetString") => method(1, 1, Str),

        (Json, "Value") => generic(1, 1),
        (Json, "SelectToken") => method(1, 1, Json),

        _ => None,
    }
}

fn static_member(class: Class, name: &str) -> Option<Member> {
    use Ty::*;
    match (class, name) {
        (Class::String, "IsNullOrEmpty" | "IsNullOrWhiteSpace") => method(1, 1, Bool),
        (Class::String, "Format") => method(1, 16, Str),
        (Class::String, "Join") => method(2, 2, Str),
        (Class::String, "Concat") => method(1, 16, Str),
        (Class::String, "Equals") => method(2, 3, Bool),
        (Class::String, "Empty") => prop(Str),
        (Class::DateTime, "UtcNow" | "Now" | "Today") => prop(DateTime),
        (Class::DateTime, "Parse") => method(1, 1, DateTime),
        (
            Class::TimeSpan,
            "FromMilliseconds" | "FromSeconds" | "FromMinutes" | "FromHours" | "FromDays",
        ) => method(1, 1, TimeSpan),
        (Class::Guid, "NewGuid") => method(0, 0, Guid),
        (Class::Guid, "Parse") => method(1, 1, Guid),
        (Class::Guid, "Empty") => prop(Guid),
        (Class::Convert, "ToBase64String") => method(1, 1, Str),
        (Class::Convert, "FromBase64String") => method(1, 1, Bytes),
        (Class::Convert, "ToInt32" | "ToInt64") => method(1, 1, Int),
        (Class::Convert, "ToBoolean") => method(1, 1, Bool),
        (Class::Convert, "ToString") => method(1, 1, Str),
        (Class::Encoding, "UTF8" | "ASCII") => prop(Encoding),
        (
            Class::StringComparison,
            "Ordinal"
            | "OrdinalIgnoreCase"
            | "InvariantCulture"
            | "InvariantCultureIgnoreCase"
            | "CurrentCulture"
            | "CurrentCultureIgnoreCase",
        ) => prop(Comparison),
        (Class::Int, "Parse") => method(1, 1, Int),
        (Class::Bool, "Parse") => method(1, 1, Bool),
        (Class::Json, "Parse") => method(1, 1, Json),
        (Class::Uri, "EscapeDataString" | "UnescapeDataString" | "UrlEncode" | "UrlDecode") => {
            method(1, 1, Str)
        }
        (Class::Math, "Min" | "Max") => method(2, 2, Any),
        (Class::Math, "Abs") => method(1, 1, Any),
        _ => None,
    }
}
