//! The Node and Python hosts' typed API, generated from the WIT rather than written: the types of
//! the `jobs`, `files` and `permissions` exports (and of `commands.describe` and the error
//! cases) as each language's public API presents them, and the functions' signatures, which the
//! hosts' runtime code follows. This test fails when a generated file is not what the WIT gives;
//! regenerate with `OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types`.
//!
//! The rules, the same for both languages, declared and applied here only (each file holds the
//! conversions from the values the bindings give): a record is an interface (TS, camelCase
//! fields) or a frozen dataclass (Python, snake_case fields); integers are numbers; `option<T>`
//! is an optional field or parameter; an enum is a union of its case names; a variant whose one
//! payload is `other(string)` (a job's status) is a string: its case names with `-` as `_`, or
//! any other text; a function takes the WIT's parameters, then the host's options, and returns
//! its `ok` type (its `error` is thrown as `OpenAiFtError`); a parameter named `path` is the one
//! file the call is granted. An error's fields are those of its cases' records, but `message`,
//! with `kind` named `type` (the error's `kind` is its case).

use std::fmt::Write as _;
use std::path::Path;

mod common;

use wit_parser::{Docs, Resolve, Type, TypeDefKind, TypeId, WorldItem, WorldKey};

/// The typed interfaces, in the order the APIs list them.
const INTERFACES: [&str; 3] = ["jobs", "files", "permissions"];

const HEADER: &str = "generated from the WIT by crates/host-logic/tests/types.rs; do not edit \
                      (regenerate: OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types)";

#[test]
fn the_hosts_api_types_are_generated_from_the_wit() {
    let api = Api::load();
    let outputs: [(&str, String); 3] = [
        ("hosts/node/types/wit.d.ts", typescript(&api)),
        ("hosts/node/types/wit.js", javascript(&api)),
        (
            "hosts/python/generated/openai_ft_wit/__init__.py",
            python(&api),
        ),
    ];
    for (file, text) in outputs {
        common::check_or_write(
            file,
            &text,
            "OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types",
        );
    }
}

/// A type as the APIs present it.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Number,
    /// A 64-bit integer: a BigInt in jco's bindings.
    Big,
    Text,
    Bool,
    List(Box<Ty>),
    Option(Box<Ty>),
    Named(String),
}

/// A named type.
struct Named {
    name: String,
    docs: String,
    shape: Shape,
}

enum Shape {
    Record(Vec<Field>),
    /// A closed set of names.
    Names(Vec<String>),
    /// Names, or any other text.
    OpenNames(Vec<String>),
}

struct Field {
    name: String,
    docs: String,
    ty: Ty,
}

struct Function {
    name: String,
    docs: String,
    params: Vec<Field>,
    result: Ty,
}

struct Interface {
    name: String,
    docs: String,
    functions: Vec<Function>,
}

struct Api {
    types: Vec<Named>,
    interfaces: Vec<Interface>,
    error_kinds: Vec<String>,
    error_fields: Vec<Field>,
    /// The error cases with a record, and its fields' WIT names but `message`.
    error_records: Vec<(String, Vec<String>)>,
}

impl Api {
    fn load() -> Self {
        let mut resolve = Resolve::default();
        let (package, _) = resolve
            .push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit"))
            .unwrap();
        let world = resolve.select_world(&[package], Some("openai-ft")).unwrap();
        let exported = |name: &str| {
            resolve.worlds[world]
                .exports
                .iter()
                .find_map(|(key, item)| match (key, item) {
                    (WorldKey::Interface(_), WorldItem::Interface { id, .. })
                        if resolve.interfaces[*id].name.as_deref() == Some(name) =>
                    {
                        Some(*id)
                    }
                    _ => None,
                })
                .unwrap()
        };
        let mut api = Api {
            types: Vec::new(),
            interfaces: Vec::new(),
            error_kinds: Vec::new(),
            error_fields: Vec::new(),
            error_records: Vec::new(),
        };
        let mut seen = Vec::new();
        for name in INTERFACES {
            let iface = &resolve.interfaces[exported(name)];
            let mut functions = Vec::new();
            for f in iface.functions.values() {
                let params = f
                    .params
                    .iter()
                    .map(|(name, ty)| Field {
                        name: name.clone(),
                        docs: String::new(),
                        ty: api.ty(&resolve, ty, &mut seen),
                    })
                    .collect();
                let ok = match f.result.as_ref().map(|t| kind(&resolve, t)) {
                    Some(Some(TypeDefKind::Result(r))) => r.ok.unwrap(),
                    other => panic!("{}: not a result: {other:?}", f.name),
                };
                functions.push(Function {
                    name: f.name.clone(),
                    docs: docs(&f.docs),
                    params,
                    result: api.ty(&resolve, &ok, &mut seen),
                });
            }
            api.interfaces.push(Interface {
                name: name.into(),
                docs: docs(&iface.docs),
                functions,
            });
        }
        let commands = &resolve.interfaces[exported("commands")];
        api.ty(
            &resolve,
            &Type::Id(commands.types["command-info"]),
            &mut seen,
        );
        let types = &resolve.interfaces[exported("types")];
        let TypeDefKind::Variant(error) = &resolve.types[types.types["error"]].kind else {
            panic!("types.error is not a variant")
        };
        for case in &error.cases {
            api.error_kinds.push(case.name.clone());
            if let Some(Some(TypeDefKind::Record(r))) = case.ty.as_ref().map(|t| kind(&resolve, t))
            {
                let names = r
                    .fields
                    .iter()
                    .map(|f| f.name.clone())
                    .filter(|n| n != "message");
                api.error_records.push((case.name.clone(), names.collect()));
                for f in &r.fields {
                    let name = if f.name == "kind" {
                        "type".into()
                    } else {
                        f.name.clone()
                    };
                    if f.name != "message" && !api.error_fields.iter().any(|e| e.name == name) {
                        let ty = api.ty(&resolve, &f.ty, &mut seen);
                        let ty = if let Ty::Option(_) = ty {
                            ty
                        } else {
                            Ty::Option(Box::new(ty))
                        };
                        api.error_fields.push(Field {
                            name,
                            docs: docs(&f.docs),
                            ty,
                        });
                    }
                }
            }
        }
        api
    }

    /// `ty` as the APIs present it, adding the named types it reaches (in the order first seen).
    fn ty(&mut self, resolve: &Resolve, ty: &Type, seen: &mut Vec<TypeId>) -> Ty {
        let id = match ty {
            Type::String => return Ty::Text,
            Type::Bool => return Ty::Bool,
            Type::U64 | Type::S64 => return Ty::Big,
            Type::U8
            | Type::U16
            | Type::U32
            | Type::S8
            | Type::S16
            | Type::S32
            | Type::F32
            | Type::F64 => return Ty::Number,
            Type::Id(id) => *id,
            other => panic!("no API type for {other:?}"),
        };
        let def = &resolve.types[id];
        match &def.kind {
            TypeDefKind::Option(t) => return Ty::Option(Box::new(self.ty(resolve, t, seen))),
            TypeDefKind::List(t) => return Ty::List(Box::new(self.ty(resolve, t, seen))),
            TypeDefKind::Type(t) => return self.ty(resolve, t, seen),
            _ => {}
        }
        let name = pascal(def.name.as_deref().unwrap());
        if seen.contains(&id) {
            return Ty::Named(name);
        }
        seen.push(id);
        let shape = match &def.kind {
            TypeDefKind::Record(r) => Shape::Record(
                r.fields
                    .iter()
                    .map(|f| Field {
                        name: f.name.clone(),
                        docs: docs(&f.docs),
                        ty: self.ty(resolve, &f.ty, seen),
                    })
                    .collect(),
            ),
            TypeDefKind::Enum(e) => Shape::Names(e.cases.iter().map(|c| c.name.clone()).collect()),
            TypeDefKind::Variant(v) => {
                let (other, names): (Vec<_>, Vec<_>) = v.cases.iter().partition(|c| c.ty.is_some());
                assert!(
                    other.len() == 1
                        && other[0].name == "other"
                        && other[0].ty == Some(Type::String),
                    "{name}: only a variant of names and other(string) has an API type"
                );
                Shape::OpenNames(names.iter().map(|c| c.name.replace('-', "_")).collect())
            }
            other => panic!("{name}: no API type for {}", other.as_str()),
        };
        self.types.push(Named {
            name: name.clone(),
            docs: docs(&def.docs),
            shape,
        });
        Ty::Named(name)
    }
}

fn kind<'a>(resolve: &'a Resolve, ty: &Type) -> Option<&'a TypeDefKind> {
    match ty {
        Type::Id(id) => Some(&resolve.types[*id].kind),
        _ => None,
    }
}

fn docs(d: &Docs) -> String {
    d.contents
        .as_deref()
        .unwrap_or_default()
        .trim()
        .replace('\n', " ")
}

fn pascal(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

fn camel(kebab: &str) -> String {
    let p = pascal(kebab);
    p[..1].to_lowercase() + &p[1..]
}

fn snake(kebab: &str) -> String {
    kebab.replace('-', "_")
}

// ---- TypeScript ----------------------------------------------------------------------------

fn ts_ty(ty: &Ty) -> String {
    match ty {
        Ty::Number | Ty::Big => "number".into(),
        Ty::Text => "string".into(),
        Ty::Bool => "boolean".into(),
        Ty::List(t) => format!("{}[]", ts_ty(t)),
        Ty::Option(t) => format!("{} | undefined", ts_ty(t)),
        Ty::Named(n) => n.clone(),
    }
}

/// A member: `name?: T` for an option.
fn ts_member(name: &str, ty: &Ty) -> String {
    match ty {
        Ty::Option(t) => format!("{name}?: {}", ts_ty(t)),
        t => format!("{name}: {}", ts_ty(t)),
    }
}

fn ts_doc(out: &mut String, indent: &str, docs: &str) {
    if !docs.is_empty() {
        writeln!(out, "{indent}/** {docs} */").unwrap();
    }
}

fn typescript(api: &Api) -> String {
    let mut out = format!(
        "// The typed API's types, {HEADER}.\n\nimport type {{ Options }} from './index.js';\n"
    );
    for t in &api.types {
        out.push('\n');
        ts_doc(&mut out, "", &t.docs);
        match &t.shape {
            Shape::Record(fields) => {
                writeln!(out, "export interface {} {{", t.name).unwrap();
                for f in fields {
                    ts_doc(&mut out, "  ", &f.docs);
                    writeln!(out, "  {};", ts_member(&camel(&f.name), &f.ty)).unwrap();
                }
                out.push_str("}\n");
            }
            Shape::Names(names) | Shape::OpenNames(names) => {
                let mut union: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
                if matches!(t.shape, Shape::OpenNames(_)) {
                    union.push("(string & {})".into());
                }
                writeln!(out, "export type {} = {};", t.name, union.join(" | ")).unwrap();
            }
        }
    }
    let kinds: Vec<String> = api.error_kinds.iter().map(|k| format!("'{k}'")).collect();
    writeln!(
        out,
        "\n/** The WIT error cases, and `host` for the host's own refusals (configuration, limits, traps). */\n\
         export type ErrorKind = {} | 'host';",
        kinds.join(" | ")
    )
    .unwrap();
    out.push_str("\n/** What an error carries besides its kind and message, by case. */\nexport interface ErrorFields {\n");
    for f in &api.error_fields {
        ts_doc(&mut out, "  ", &f.docs);
        writeln!(out, "  readonly {};", ts_member(&camel(&f.name), &f.ty)).unwrap();
    }
    out.push_str("}\n");
    for iface in &api.interfaces {
        out.push('\n');
        ts_doc(&mut out, "", &iface.docs);
        writeln!(out, "export declare const {}: {{", iface.name).unwrap();
        for f in &iface.functions {
            ts_doc(&mut out, "  ", &f.docs);
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| ts_member(&camel(&p.name), &p.ty))
                .chain(["options?: Options".into()])
                .collect();
            writeln!(
                out,
                "  {}({}): Promise<{}>;",
                camel(&f.name),
                params.join(", "),
                ts_ty(&f.result)
            )
            .unwrap();
        }
        out.push_str("};\n");
    }
    out
}

/// The JS expression that converts `expr` (a value of `ty` as jco gives it) to the API's value.
fn js_lift(expr: &str, ty: &Ty, api: &Api) -> String {
    match ty {
        Ty::Big => format!("Number({expr})"),
        Ty::Number | Ty::Text | Ty::Bool => expr.into(),
        Ty::Named(n) if matches!(shape(api, n), Shape::Names(_)) => expr.into(),
        Ty::Named(n) => format!("{}({expr})", camel_of(n)),
        Ty::Option(t) => match js_lift(expr, t, api) {
            lifted if lifted == expr => expr.into(),
            lifted => format!("{expr} === undefined ? undefined : {lifted}"),
        },
        Ty::List(t) => match js_lift("x", t, api) {
            lifted if lifted == "x" => expr.into(),
            lifted if lifted == format!("{}(x)", lifted.trim_end_matches("(x)")) => {
                format!("({expr}).map({})", lifted.trim_end_matches("(x)"))
            }
            lifted => format!("({expr}).map((x) => {lifted})"),
        },
    }
}

fn shape<'a>(api: &'a Api, name: &str) -> &'a Shape {
    &api.types.iter().find(|t| t.name == name).unwrap().shape
}

/// `JobError` as a function name: `jobError`.
fn camel_of(pascal: &str) -> String {
    pascal[..1].to_lowercase() + &pascal[1..]
}

fn javascript(api: &Api) -> String {
    let mut out = format!(
        "// The typed API over the component's exports and its conversions from the values jco gives;\n// {HEADER}.\n\n\
         /**\n * The typed interfaces over `call(exportName, args, options, grant)`, which resolves to the WIT\n \
         * value (`grant`: the path of the one file the call may read).\n */\n\
         export function interfaces(call) {{\n  return {{\n"
    );
    for iface in &api.interfaces {
        writeln!(out, "    {}: {{", iface.name).unwrap();
        for f in &iface.functions {
            let params: Vec<String> = f.params.iter().map(|p| camel(&p.name)).collect();
            let grant = if params.iter().any(|p| p == "path") {
                ", path"
            } else {
                ""
            };
            let call = format!(
                "await call('{}.{}', [{}], options{grant})",
                iface.name,
                camel(&f.name),
                params.join(", ")
            );
            writeln!(
                out,
                "      {}: async ({}, options = {{}}) => {},",
                camel(&f.name),
                params.join(", "),
                js_lift(&call, &f.result, api)
            )
            .unwrap();
        }
        out.push_str("    },\n");
    }
    out.push_str("  };\n}\n");
    out.push_str("\n/** A WIT `error`'s message and fields, as `OpenAiFtError` carries them. */\nexport function errorFields(e) {\n  switch (e.tag) {\n");
    for (case, fields) in &api.error_records {
        let fields: Vec<String> = fields
            .iter()
            .map(|f| {
                let name = if f == "kind" { "type".into() } else { camel(f) };
                format!("{name}: e.val.{}", camel(f))
            })
            .collect();
        writeln!(
            out,
            "    case '{case}':\n      return {{ message: e.val.message, {} }};",
            fields.join(", ")
        )
        .unwrap();
    }
    out.push_str("    default:\n      return { message: e.val };\n  }\n}\n");
    for t in &api.types {
        match &t.shape {
            Shape::Record(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        let name = camel(&f.name);
                        format!("{name}: {}", js_lift(&format!("v.{name}"), &f.ty, api))
                    })
                    .collect();
                writeln!(
                    out,
                    "\nexport function {}(v) {{\n  return {{ {} }};\n}}",
                    camel_of(&t.name),
                    fields.join(", ")
                )
                .unwrap();
            }
            Shape::OpenNames(_) => {
                writeln!(
                    out,
                    "\nexport function {}(v) {{\n  return v.tag === 'other' ? v.val : v.tag.replaceAll('-', '_');\n}}",
                    camel_of(&t.name)
                )
                .unwrap();
            }
            Shape::Names(_) => {}
        }
    }
    out
}

// ---- Python --------------------------------------------------------------------------------

fn py_ty(ty: &Ty) -> String {
    match ty {
        Ty::Number | Ty::Big => "int".into(),
        Ty::Text => "str".into(),
        Ty::Bool => "bool".into(),
        Ty::List(t) => format!("List[{}]", py_ty(t)),
        Ty::Option(t) => format!("Optional[{}]", py_ty(t)),
        Ty::Named(n) => n.clone(),
    }
}

/// The Python expression that converts `expr` (a value of `ty` as wasmtime-py gives it) to the
/// API's value.
fn py_lift(expr: &str, ty: &Ty, api: &Api) -> String {
    match ty {
        Ty::Number | Ty::Big | Ty::Text | Ty::Bool => expr.into(),
        Ty::Named(n) => match shape(api, n) {
            Shape::Names(_) => expr.into(),
            Shape::OpenNames(_) => format!("_{}({expr})", snake_of(n)),
            Shape::Record(_) => format!("{n}._from_wit({expr})"),
        },
        Ty::Option(t) => match py_lift(expr, t, api) {
            lifted if lifted == expr => expr.into(),
            lifted => format!("None if {expr} is None else {lifted}"),
        },
        Ty::List(t) => match py_lift("x", t, api) {
            lifted if lifted == "x" => expr.into(),
            lifted => format!("[{lifted} for x in {expr}]"),
        },
    }
}

/// `JobError` as a function name: `job_error`.
fn snake_of(pascal: &str) -> String {
    let mut out = String::new();
    for (i, c) in pascal.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A WIT record field as wasmtime-py gives it: an attribute named as the WIT spells it.
fn py_field(v: &str, name: &str) -> String {
    if name.contains('-') {
        format!("getattr({v}, \"{name}\")")
    } else {
        format!("{v}.{name}")
    }
}

fn python(api: &Api) -> String {
    let mut out = format!(
        "\"\"\"The typed API's types and interfaces, and their conversions from the values wasmtime-py\n\
         gives; {HEADER}.\"\"\"\n\n\
         from __future__ import annotations\n\n\
         from dataclasses import dataclass\n\
         from typing import Any, Callable, Dict, List, Literal, Optional, Sequence\n"
    );
    for t in &api.types {
        out.push_str("\n\n");
        match &t.shape {
            Shape::Record(fields) => {
                writeln!(
                    out,
                    "@dataclass(frozen=True)\nclass {}:\n    \"\"\"{}\"\"\"\n",
                    t.name, t.docs
                )
                .unwrap();
                for f in fields {
                    writeln!(out, "    {}: {}", snake(&f.name), py_ty(&f.ty)).unwrap();
                    if !f.docs.is_empty() {
                        writeln!(out, "    \"\"\"{}\"\"\"", f.docs).unwrap();
                    }
                }
                let lifted: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        format!(
                            "{}={}",
                            snake(&f.name),
                            py_lift(&py_field("v", &f.name), &f.ty, api)
                        )
                    })
                    .collect();
                writeln!(
                    out,
                    "\n    @staticmethod\n    def _from_wit(v: Any) -> {}:\n        return {}({})",
                    t.name,
                    t.name,
                    lifted.join(", ")
                )
                .unwrap();
            }
            Shape::Names(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                writeln!(
                    out,
                    "{} = Literal[{}]\n\"\"\"{}\"\"\"",
                    t.name,
                    names.join(", "),
                    t.docs
                )
                .unwrap();
            }
            Shape::OpenNames(names) => {
                writeln!(
                    out,
                    "{} = str\n\"\"\"{} One of {}, or another the API returns.\"\"\"\n\n\n\
                     def _{}(v: Any) -> str:\n    return str(v.payload) if v.tag == \"other\" else str(v.tag).replace(\"-\", \"_\")",
                    t.name,
                    t.docs,
                    names.join(", "),
                    snake_of(&t.name)
                )
                .unwrap();
            }
        }
    }
    let kinds: Vec<String> = api.error_kinds.iter().map(|k| format!("\"{k}\"")).collect();
    writeln!(
        out,
        "\n\nErrorKind = Literal[{}, \"host\"]\n\"\"\"The WIT error cases, and `host` for the host's own refusals.\"\"\"",
        kinds.join(", ")
    )
    .unwrap();
    out.push_str("\n\nclass ErrorFields:\n    \"\"\"What an error carries besides its kind and message, by case.\"\"\"\n\n");
    for f in &api.error_fields {
        writeln!(out, "    {}: {}", snake(&f.name), py_ty(&f.ty)).unwrap();
    }
    out.push_str(
        "\n\ndef error_fields(e: Any) -> Dict[str, Any]:\n    \
         \"\"\"A WIT `error`'s message and fields (as wasmtime-py gives it), as `OpenAiFtError` carries them.\"\"\"\n",
    );
    for (case, fields) in &api.error_records {
        let fields: Vec<String> = fields
            .iter()
            .map(|f| {
                let name = if f == "kind" { "type".into() } else { snake(f) };
                format!("\"{name}\": {}", py_field("e.payload", f))
            })
            .collect();
        writeln!(
            out,
            "    if e.tag == \"{case}\":\n        return {{\"message\": e.payload.message, {}}}",
            fields.join(", ")
        )
        .unwrap();
    }
    out.push_str("    return {\"message\": e.payload}\n");
    out.push_str(
        "\n\n#: How a typed function reaches the component: (interface, function, arguments, options, the\n\
         #: path of the file granted) to the WIT value.\nCall = Callable[[str, str, List[Any], Any, Optional[str]], Any]\n",
    );
    for iface in &api.interfaces {
        writeln!(
            out,
            "\n\nclass {}:\n    \"\"\"{}\"\"\"\n\n    def __init__(self, call: Call) -> None:\n        self._call = call",
            pascal(&iface.name),
            iface.docs
        )
        .unwrap();
        for f in &iface.functions {
            // A list parameter takes any sequence, passed on as a list.
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| match &p.ty {
                    Ty::Option(_) => format!("{}: {} = None", snake(&p.name), py_ty(&p.ty)),
                    Ty::List(t) => format!("{}: Sequence[{}]", snake(&p.name), py_ty(t)),
                    t => format!("{}: {}", snake(&p.name), py_ty(t)),
                })
                .collect();
            let args: Vec<String> = f
                .params
                .iter()
                .map(|p| match &p.ty {
                    Ty::List(_) => format!("list({})", snake(&p.name)),
                    _ => snake(&p.name),
                })
                .collect();
            let grant = if f.params.iter().any(|p| p.name == "path") {
                "path"
            } else {
                "None"
            };
            let call = format!(
                "self._call(\"{}\", \"{}\", [{}], options, {grant})",
                iface.name,
                f.name,
                args.join(", ")
            );
            writeln!(
                out,
                "\n    def {}(self, {}, **options: Any) -> {}:\n        \"\"\"{}\"\"\"\n        return {}",
                snake(&f.name),
                params.join(", "),
                py_ty(&f.result),
                f.docs,
                py_lift(&call, &f.result, api)
            )
            .unwrap();
        }
    }
    out
}
