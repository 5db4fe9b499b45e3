//! `GET /openapi.json`: an OpenAPI 3 description of every endpoint of the three
//! dialects, derived from the endpoint declarations (`http::endpoint`), so it
//! cannot drift from what the router serves and the handlers read.

use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::endpoint::{Dialect, Endpoint, Param};

fn schema(t: &str) -> Value {
    json!({"type": t})
}

/// The schema of one parameter: its type, default and limits; for a required
/// string, not blank (handlers trim, and a blank value counts as missing); the
/// closed set of values where the declaration gives one.
fn param_schema(p: &Param) -> Value {
    let mut s = schema(p.ty.openapi());
    if p.required && p.ty == super::endpoint::Ty::Str {
        s["minLength"] = json!(1);
        s["pattern"] = json!("\\S");
    }
    if let Some(d) = p.default {
        s["default"] = json!(d);
    }
    if let Some(m) = p.min {
        s["minimum"] = json!(m);
    }
    if let Some(m) = p.max {
        s["maximum"] = json!(m);
    }
    if !p.one_of.is_empty() {
        s["enum"] = json!(p.one_of);
    }
    s
}

fn openim_envelope() -> Value {
    json!({"description": "OpenIM envelope {errCode, errMsg, errDlt, data}; errCode 0 on success",
           "content": {"application/json": {"schema": {"type": "object", "required": ["errCode"],
               "properties": {"errCode": {"type": "integer"}, "errMsg": {"type": "string"}, "errDlt": {"type": "string"}, "data": {}}}}}})
}

fn shiku_unavailable() -> Value {
    json!({"description": "database unavailable (Shiku error envelope, resultCode 1020101)",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShikuEnvelope"}}}})
}

fn shiku_envelope() -> Value {
    json!({"description": "Shiku envelope: resultCode 1 on success, the original's codes otherwise (HTTP 200)",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShikuEnvelope"}}}})
}

/// The parameters of `e` as the properties of a request body.
fn body_props(e: &Endpoint) -> Map<String, Value> {
    e.all_params()
        .map(|p| (p.name.to_string(), param_schema(p)))
        .collect()
}

/// A Shiku endpoint: GET with query parameters, POST with a form body.
fn shiku_item(e: &Endpoint, mut params: Vec<Value>) -> Map<String, Value> {
    if e.auth {
        params.push(json!({"name": "access_token", "in": "query", "required": true, "schema": schema("string")}));
    }
    let mut responses = json!({"200": shiku_envelope(), "503": shiku_unavailable()});
    if e.login_limited {
        responses["429"] = json!({"description": "too many login attempts from this address (Shiku envelope, resultCode 0)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShikuEnvelope"}}}});
    }
    let get = json!({"summary": e.summary, "parameters": params, "responses": responses});
    let mut post = get.clone();
    post["requestBody"] = json!({"required": false, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": body_props(e)}}}});
    post["parameters"] = json!(params
        .iter()
        .filter(|p| p["name"] == "access_token")
        .collect::<Vec<_>>());
    let mut item = Map::new();
    item.insert("get".into(), get);
    item.insert("post".into(), post);
    item
}

/// A Shiku upload servlet: a multipart POST.
fn upload_item(e: &Endpoint, params: Vec<Value>) -> Map<String, Value> {
    let mut item = Map::new();
    item.insert(
        "post".into(),
        json!({"summary": e.summary, "parameters": params,
            "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object",
                "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}, "validTime": schema("integer")}}}}},
            "responses": {"200": {"description": "upload result"}}}),
    );
    item
}

/// An OpenIM endpoint: a JSON POST with the `operationID` (and `token`) headers.
fn openim_item(e: &Endpoint) -> Map<String, Value> {
    let mut headers = vec![
        json!({"name": "operationID", "in": "header", "required": true, "schema": schema("string")}),
    ];
    if e.auth {
        headers.push(
            json!({"name": "token", "in": "header", "required": true, "schema": schema("string")}),
        );
    }
    let required: Vec<&str> = e
        .all_params()
        .filter(|p| p.required)
        .map(|p| p.name)
        .collect();
    let mut body = json!({"type": "object", "properties": body_props(e)});
    if !required.is_empty() {
        body["required"] = json!(required);
    }
    let mut item = Map::new();
    item.insert(
        "post".into(),
        json!({"summary": e.summary, "parameters": headers,
            "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
            "responses": {"200": openim_envelope(),
                          "400": openim_envelope(),
                          "503": {"description": "database unavailable"}}}),
    );
    item
}

/// A JH (or plain) endpoint: query parameters on its one method.
fn plain_item(e: &Endpoint, params: Vec<Value>) -> Map<String, Value> {
    let op = json!({"summary": e.summary, "parameters": params,
        "responses": {"200": {"description": "success"}, "400": {"description": "{\"success\": false, \"msg\": ...}"}, "503": {"description": "database unavailable"}}});
    let method = if e.dialect == Dialect::JhPost {
        "post"
    } else {
        "get"
    };
    let mut item = Map::new();
    item.insert(method.into(), op);
    item
}

pub fn document(endpoints: &[&Endpoint]) -> Value {
    let mut paths = Map::new();
    for e in endpoints {
        let params: Vec<Value> = e
            .all_params()
            .map(|p| json!({"name": p.name, "in": "query", "required": p.required, "schema": param_schema(p)}))
            .collect();
        let item = match e.dialect {
            Dialect::Shiku => shiku_item(e, params),
            Dialect::ShikuUpload => upload_item(e, params),
            Dialect::OpenIm => openim_item(e),
            Dialect::JhGet | Dialect::JhPost | Dialect::Plain => plain_item(e, params),
        };
        paths.insert(e.path.to_string(), Value::Object(item));
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "shiku-api", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Shiku IM HTTP API (drop-in for the Java imapi), OpenIM admin send, JH customer-service IM"},
        "paths": paths,
        "components": {"schemas": {"ShikuEnvelope": {"type": "object", "required": ["resultCode"], "properties": {
            "currentTime": {"type": "integer"}, "resultCode": {"type": "integer"}, "resultMsg": {"type": "string"},
            "detailMsg": {"type": "string"}, "data": {}}}}},
    })
}

/// The document of every endpoint the app serves.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document(&super::endpoints()))
}
