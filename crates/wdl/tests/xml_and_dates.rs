//! XML conversion, XPath and date/time edge cases.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check, check_err, check_tpl, ev};
use serde_json::json;

#[test]
fn xml_round_trips_like_xmldocument() {
    for (e, s) in [
        ("@{xml('<root/>')}", "<root />"),
        (
            "@{xml('<root><node1 attr=\"x\"/><node2 attr2=\"y\"><innermost innerattr=\"o&quot;h\">wow</innermost></node2></root>')}",
            "<root><node1 attr=\"x\" /><node2 attr2=\"y\"><innermost innerattr=\"o&quot;h\">wow</innermost></node2></root>",
        ),
        (
            "@{xml('<root>aaa<!-- one big comment --><e>x</e>f</root>')}",
            "<root>aaa<!-- one big comment --><e>x</e>f</root>",
        ),
        (
            "@{xml('<?xml version=\"1.0\" encoding=\"utf-8\"?><root/>')}",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><root />",
        ),
        ("@{xml('<root attr=\"val\"/>')}", "<root attr=\"val\" />"),
        (
            "@{xml('<root> a <!-- b --> c </root>')}",
            "<root> a <!-- b --> c </root>",
        ),
        (
            "@{xml('<root> <!-- a --> b <!-- c --> </root>')}",
            "<root><!-- a --> b <!-- c --></root>",
        ),
        (
            "@{xml('<aaa:root xmlns:aaa=\"test\" />')}",
            "<aaa:root xmlns:aaa=\"test\" />",
        ),
        ("@{xml('<root>&#65;</root>')}", "<root>A</root>"),
    ] {
        check_tpl(e, s);
    }
    check_err("xml('<unclosed>')", "not valid XML");
    check_err("xml(createArray(1))", "a string or an object");
}

#[test]
fn xml_to_json() {
    for (e, s) in [
        (
            "@{json(xml('<root>Testing</root>'))}",
            "{\"root\":\"Testing\"}",
        ),
        (
            "@{json(xml('<a><a/>t<a/></a>'))}",
            "{\"a\":{\"a\":[null,null],\"#text\":\"t\"}}",
        ),
        (
            "@{json(xml('<r xmlns:mmm=\"zzz\"><z/><mmm:x/>c<v/><b/>n<m/>a</r>'))}",
            "{\"r\":{\"@xmlns:mmm\":\"zzz\",\"z\":null,\"mmm:x\":null,\"#text\":[\"c\",\"n\",\"a\"],\"v\":null,\"b\":null,\"m\":null}}",
        ),
        (
            "@{json(xml('<?xml version=\"1.0\" encoding=\"utf-8\"?><root/>'))}",
            "{\"?xml\":{\"@version\":\"1.0\",\"@encoding\":\"utf-8\"},\"root\":null}",
        ),
        (
            "@{json(xml('<?xml\tversion=\"1.0\"\nencoding=\"ascii\"\tstandalone=\"yes\"?><root/>'))}",
            "{\"?xml\":{\"@version\":\"1.0\",\"@encoding\":\"ascii\",\"@standalone\":\"yes\"},\"root\":null}",
        ),
        (
            "@{json(xml('<root><e></e></root>'))}",
            "{\"root\":{\"e\":\"\"}}",
        ),
        (
            "@{json(xml('<thing:root xmlns:thing=\"namespace\"/>'))}",
            "{\"thing:root\":{\"@xmlns:thing\":\"namespace\"}}",
        ),
    ] {
        check_tpl(e, s);
    }
    check(
        "json(xml('<root><node1 attr=\"x\"/><node2 attr2=\"y\"><innermost innerattr=\"o&quot;h\">wow<break/>wowow</innermost></node2></root>'))",
        json!({"root": {"node1": {"@attr": "x"}, "node2": {"@attr2": "y", "innermost": {"@innerattr": "o\"h", "#text": ["wow", "wowow"], "break": null}}}}),
    );
}

#[test]
fn json_to_xml() {
    for (e, s) in [
        ("@{xml(json('{\"ro:ot\": \"text\"}'))}", "<ot>text</ot>"),
        (
            "@{xml(json('{\"ro>ot\": \"text\"}'))}",
            "<ro_x003E_ot>text</ro_x003E_ot>",
        ),
        (
            "@{xml(json('{\"ro ot\": \"text\"}'))}",
            "<ro_x0020_ot>text</ro_x0020_ot>",
        ),
        (
            "@{xml(json('{\"root\": \"te<xt\"}'))}",
            "<root>te&lt;xt</root>",
        ),
        (
            "@{xml(json('{\"root\": \"te&xt\"}'))}",
            "<root>te&amp;xt</root>",
        ),
        (
            "@{xml(json('{\"root\": {\"@attr\": \"te\\\"xt\"}}'))}",
            "<root attr=\"te&quot;xt\" />",
        ),
        (
            "@{xml(json('{\"root\": {\"#comment\": \"-->test\"}}'))}",
            "<root><_x0023_comment>--&gt;test</_x0023_comment></root>",
        ),
        (
            "@{xml(json('{\"root\": {\"a\": null, \"n\": 1.5, \"b\": true}}'))}",
            "<root><a /><n>1.5</n><b>true</b></root>",
        ),
    ] {
        check_tpl(e, s);
    }
    check_err(
        "xml(json('{\"a\": 1, \"b\": 2}'))",
        "exactly one root property",
    );
    check_err("xml(json('{\"a\": [1, 2]}'))", "array at the root");
}

#[test]
fn xpath() {
    check_err("xpath('<r><a>x</a></r>','/r/*')", "an XML object");
    check(
        "xpath(xml(json('{\"r\":{\"v\":[1,2,3,4,5]}}')),'sum(/r/v)')",
        json!(15.0),
    );
    assert!(
        ev("xpath(xml(json('{\"r\":{\"v\":[1,2,3,4,5]}}')),'sum(/r/v)')")
            .unwrap()
            .is_f64()
    );
    check(
        "xpath(xml('<r><a>this is a</a><b>second</b><c>number c</c></r>'),'/r/b')",
        json!([{"$content-type": "application/xml;charset=utf-8", "$content": "PGI+c2Vjb25kPC9iPg=="}]),
    );
    check(
        "xpath(xml('<r><a>this is a</a><b>second</b><c>number c</c></r>'),'/r/*/text()')",
        json!(["this is a", "second", "number c"]),
    );
    check(
        "xpath(xml('<r><a x=\"1\"/><a x=\"2\"/></r>'),'count(//a)')",
        json!(2.0),
    );
    check(
        "xpath(xml('<r><a x=\"1\"/><a x=\"2\"/></r>'),'//a/@x')",
        json!(["1", "2"]),
    );
    check(
        "xpath(xml('<r><a x=\"1\"/><a x=\"2\"/></r>'),'string(//a[@x=2]/@x)')",
        json!("2"),
    );
    check(
        "xpath(xml('<r><a>1</a><a>2</a><a>3</a></r>'),'//a[position() > 1 and . != 3]/text()')",
        json!(["2"]),
    );
    check(
        "xpath(xml('<r><a>1</a><b>2</b></r>'),'boolean(/r/b)')",
        json!(true),
    );
    check(
        "xpath(xml('<r><a>1</a><b>2</b></r>'),'concat(/r/a, \"-\", /r/b)')",
        json!("1-2"),
    );
    check(
        "xpath(xml('<r><a><b>x</b></a></r>'),'//b/../..')",
        json!([{"$content-type": "application/xml;charset=utf-8", "$content": "PHI+PGE+PGI+eDwvYj48L2E+PC9yPg=="}]),
    );
    check(
        "xpath(xml('<r><a>1</a><b>2</b></r>'),'/r/a | /r/b')",
        json!([
        {"$content-type": "application/xml;charset=utf-8", "$content": "PGE+MTwvYT4="},
        {"$content-type": "application/xml;charset=utf-8", "$content": "PGI+MjwvYj4="}]),
    );
    check_err("xpath(xml('<r/>'),'/r[')", "XPath");
    check_err("xpath(xml('<r/>'),'nosuchfn()')", "not supported");
}

#[test]
fn dates_keep_their_kind() {
    check(
        "addDays('2018-03-15T00:00:00', 1)",
        json!("2018-03-16T00:00:00.0000000"),
    );
    check(
        "addDays('2018-03-15T00:00:00+05:00', 1)",
        json!("2018-03-16T00:00:00.0000000+05:00"),
    );
    check(
        "addDays('2018-03-15T00:00:00.1234567Z', 1)",
        json!("2018-03-16T00:00:00.1234567Z"),
    );
    check(
        "formatDateTime('2018-03-15T13:05:09.5Z', 'HH:mm:ss.FFF')",
        json!("13:05:09.5"),
    );
    check(
        "formatDateTime('2018-03-15T13:05:09Z', 'HH:mm:ss.FFF')",
        json!("13:05:09"),
    );
    check(
        "formatDateTime('2018-03-15T13:05:09Z', 'h tt, ''day'' dd/MM/yy')",
        json!("1 PM, day 15/03/18"),
    );
    check(
        "formatDateTime('2018-03-15T13:05:09Z', 's')",
        json!("2018-03-15T13:05:09"),
    );
    check(
        "formatDateTime('2018-03-15T13:05:09Z', 'r')",
        json!("Thu, 15 Mar 2018 13:05:09 GMT"),
    );
    check(
        "formatDateTime('2018-03-15T13:05:09Z', 'D', 'de-DE')",
        json!("Donnerstag, 15. März 2018"),
    );
    check(
        "formatDateTime('2018-03-15T13:05:09Z', 'g', 'en-GB')",
        json!("15/03/2018 13:05"),
    );
    check(
        "formatDateTime('2018-03-15T13:05:09+02:00', 'zzz')",
        json!("+02:00"),
    );
    check(
        "addToTime('2018-01-31T00:00:00Z', 1, 'Month')",
        json!("2018-02-28T00:00:00.0000000Z"),
    );
    check(
        "addToTime('2016-02-29T00:00:00Z', 1, 'Year')",
        json!("2017-02-28T00:00:00.0000000Z"),
    );
    check(
        "addToTime('2018-01-01T00:00:00Z', 2, 'Week')",
        json!("2018-01-15T00:00:00.0000000Z"),
    );
    check(
        "subtractFromTime('2018-01-01T00:00:00Z', 90, 'Second')",
        json!("2017-12-31T23:58:30.0000000Z"),
    );
    check(
        "dateDifference('2018-07-30', '2015-02-08')",
        json!("-1268.00:00:00"),
    );
    check(
        "dateDifference('2018-01-01T00:00:00Z', '2018-01-01T01:30:00.5Z')",
        json!("01:30:00.5000000"),
    );
    check(
        "startOfMonth('2018-03-15T13:30:30')",
        json!("2018-03-01T00:00:00.0000000"),
    );
    check("dayOfWeek('2018-03-18')", json!(0));
    check_err(
        "addDays('not a date', 1)",
        "cannot be parsed as a timestamp",
    );
    check_err(
        "addDays('9999-12-31T00:00:00Z', 1)",
        "outside the supported range",
    );
    check_err("addToTime('2018-01-01', 1, 'Fortnight')", "time unit");
    check_err("formatDateTime('2018-01-01', 'Q')", "format");
    check_err("formatDateTime('2018-01-01', 'D', 'xx-XX')", "locale");
}

#[test]
fn time_zones() {
    check(
        "convertFromUtc('2018-07-01T08:00:00Z', 'Pacific Standard Time')",
        json!("2018-07-01T01:00:00.0000000"),
    );
    check(
        "convertFromUtc('2018-07-01T08:00:00Z', 'W. Europe Standard Time')",
        json!("2018-07-01T10:00:00.0000000"),
    );
    check(
        "convertFromUtc('2018-01-01T00:00:00Z', 'Cen Australia Standard Time')",
        json!("2018-01-01T10:30:00.0000000"),
    );
    check(
        "convertFromUtc('2018-01-01T00:00:00Z', 'india standard time')",
        json!("2018-01-01T05:30:00.0000000"),
    );
    check(
        "convertFromUtc('2018-01-01T00:00:00Z', 'Asia/Tokyo')",
        json!("2018-01-01T09:00:00.0000000"),
    );
    check(
        "convertToUtc('2018-07-01T01:00:00', 'Pacific Standard Time')",
        json!("2018-07-01T08:00:00.0000000Z"),
    );
    check(
        "convertTimeZone('2018-01-01T00:00:00', 'Tokyo Standard Time', 'GMT Standard Time')",
        json!("2017-12-31T15:00:00.0000000"),
    );
    check(
        "convertToUtc('2018-11-04T01:30:00', 'Pacific Standard Time')",
        json!("2018-11-04T09:30:00.0000000Z"),
    );
    check_err(
        "convertToUtc('2018-03-11T02:30:00', 'Pacific Standard Time')",
        "not valid in the source time zone",
    );
    check_err(
        "convertFromUtc('2018-01-01T00:00:00Z', 'Mars Standard Time')",
        "time zone",
    );
}

#[test]
fn lenient_parsing() {
    for (input, out) in [
        ("2015-02-08", "2015-02-08T00:00:00.0000000"),
        ("03/15/2018 1:05 PM", "2018-03-15T13:05:00.0000000"),
        ("March 15, 2018", "2018-03-15T00:00:00.0000000"),
        (
            "Thu, 15 Mar 2018 13:05:09 GMT",
            "2018-03-15T13:05:09.0000000Z",
        ),
        ("2018-03-15 13:05:09Z", "2018-03-15T13:05:09.0000000Z"),
        (
            "2018-03-15T13:05:09.123+0130",
            "2018-03-15T13:05:09.1230000+01:30",
        ),
    ] {
        check(&format!("formatDateTime('{input}')"), json!(out));
    }
    check(
        "parseDateTime('15.03.2018', 'de-DE')",
        json!("2018-03-15T00:00:00.0000000"),
    );
    check(
        "parseDateTime('3/15/2018 1:05:09 PM')",
        json!("2018-03-15T13:05:09.0000000"),
    );
    check(
        "parseDateTime('15 mars 2018 13:05', 'fr-FR')",
        json!("2018-03-15T13:05:00.0000000"),
    );
    check_err("parseDateTime('31/02/2018', 'fr-FR')", "cannot be parsed");
    check_err(
        "parseDateTime('2018', 'en-US', 'yyyyMMdd')",
        "cannot be parsed",
    );
}
