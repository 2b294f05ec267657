//! Every member in the checker's table has an implementation: one expression per member
//! (or family), evaluated against a test host. A member the checker accepts but the
//! evaluator lacks would fail here instead of at runtime.

use std::sync::Arc;

use super::testing::{TestHost, eval};
use super::value::{HttpMessage, Value};

#[test]
fn every_table_member_evaluates() {
    let response = Value::Response(Arc::new(HttpMessage {
        status: 201,
        reason: "Created".into(),
        headers: vec![("X-A".into(), "1".into())],
        body: bytes::Bytes::from_static(br#"{"a":{"b":[1,2]},"s":"x"}"#),
    }));
    let mut h = TestHost {
        now_ms: 1_700_000_000_000,
        vars: vec![
            ("r".into(), response),
            ("s".into(), Value::str("a,b")),
            ("n".into(), Value::Int(5)),
        ],
        headers: vec![("H".into(), vec!["v1".into(), "v2".into()])],
        body: Some(bytes::Bytes::from_static(b"{\"k\":1}")),
        traces: Vec::new(),
    };
    let cases = [
        r#"((IResponse)context.Variables["r"]).StatusCode + ((IResponse)context.Variables["r"]).StatusReason"#,
        r#"((IResponse)context.Variables["r"]).Headers.GetValueOrDefault("x-a", "") + ((IResponse)context.Variables["r"]).Headers.Count"#,
        r#"((IResponse)context.Variables["r"]).Body.As<JObject>().SelectToken("a.b[1]").ToString()"#,
        r#"((IResponse)context.Variables["r"]).Body.As<JObject>().Value<string>("s")"#,
        r#"((IResponse)context.Variables["r"]).Body.As<JObject>().ContainsKey("a") && ((IResponse)context.Variables["r"]).Body.As<JObject>().Count == 2"#,
        r#"((IResponse)context.Variables["r"]).Body.As<byte[]>().Length"#,
        r#"context.Request.Body.As<JToken>(preserveContent: true)["k"]"#,
        r#"context.Request.Headers.ContainsKey("h") && context.Request.Headers.Count == 1"#,
        r#"context.Variables.ContainsKey("n") && context.Variables.Count == 3"#,
        r#"((string)context.Variables["s"]).Split(',').Length + "".Length"#,
        r#"((string)context.Variables["s"]).Substring(1).PadRight(4, '.').PadLeft(5).Trim().TrimStart('a').TrimEnd('.')"#,
        r#""Ab".ToUpperInvariant() + "Ab".ToLowerInvariant() + "Ab".ToUpper() + "Ab".ToLower() + "Ab".Replace("A", "a")"#,
        r#""abc".StartsWith("a") && "abc".EndsWith("c") && "abc".Contains("b") && "abc".Equals("ABC", StringComparison.OrdinalIgnoreCase)"#,
        r#""abca".IndexOf('a') + "abca".LastIndexOf("a")"#,
        r#""a:b".Split(':').Contains("b") && "a".Split(':').Any() && "a:b".Split(':').Count() == 2"#,
        r#""a:b".Split(':').First() + "a:b".Split(':').Last() + "a:b".Split(':').LastOrDefault()"#,
        r#"DateTime.UtcNow.Year + DateTime.UtcNow.Month + DateTime.UtcNow.Day + DateTime.UtcNow.Hour + DateTime.UtcNow.Minute + DateTime.UtcNow.Second + DateTime.UtcNow.Millisecond"#,
        r#"DateTime.UtcNow.Ticks > 0 && DateTime.UtcNow.Date <= DateTime.Now && DateTime.Today <= DateTime.UtcNow"#,
        r#"DateTime.UtcNow.AddMilliseconds(1).AddSeconds(1).AddMinutes(1).AddHours(1).AddDays(1).ToUniversalTime().Subtract(DateTime.UtcNow).TotalDays"#,
        r#"TimeSpan.FromMilliseconds(1).TotalMilliseconds + TimeSpan.FromSeconds(1).TotalSeconds + TimeSpan.FromMinutes(1).TotalMinutes + TimeSpan.FromHours(1).TotalHours + TimeSpan.FromDays(1).TotalDays"#,
        r#"TimeSpan.FromDays(1.5).Days + TimeSpan.FromDays(1.5).Hours + TimeSpan.FromSeconds(61).Minutes + TimeSpan.FromSeconds(61).Seconds + TimeSpan.FromMilliseconds(5).Milliseconds"#,
        r#"Guid.Empty.ToString() + Guid.Parse("00000000-0000-0000-0000-000000000001").ToString("N")"#,
        r#"Convert.ToBase64String(Convert.FromBase64String("YQ==")) + Convert.ToInt64("2") + Convert.ToBoolean("true") + Convert.ToString(1)"#,
        r#"Encoding.ASCII.GetString(Encoding.UTF8.GetBytes("x"))"#,
        r#"bool.Parse("True") && String.Equals("a", "a") && string.Empty == "" && String.Concat("a", 1) == "a1""#,
        r#"JObject.Parse("{\"a\":1}")["a"].ToString() + JArray.Parse("[1]")[0].ToString()"#,
        r#"Uri.UnescapeDataString("a%20b") + WebUtility.UrlEncode("a b") + WebUtility.UrlDecode("a+b")"#,
        r#"Math.Min(1, 2) + Math.Max(1.5, 2)"#,
        r#"1.Equals(1) && 1.ToString("D2") == "01""#,
        r#"context.Variables["n"] is int && context.Variables["s"] as string != null"#,
        r#""Basic dTpw".AsBasic().UserId"#,
        r#"context.Trace("t")"#,
    ];
    for src in cases {
        let r = eval(&format!("@({src})"), &mut h);
        assert!(r.is_ok(), "{src}: {r:?}");
    }
}
