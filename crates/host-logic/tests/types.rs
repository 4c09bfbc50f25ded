//! The Node and Python hosts' typed API, generated from the WIT rather than written: the types of
//! the `jobs`, `files` and `permissions` exports (and of `commands.describe` and the error
//! cases) as each language's public API presents them, and the functions' signatures, which the
//! hosts' runtime code follows. This test fails when a generated file is not what the WIT gives;
//! regenerate with `OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types`.
//!
//! The rules, the same for both languages: a record is an interface (TS, camelCase fields) or a
//! frozen dataclass (Python, snake_case fields); integers are numbers; `option<T>` is an optional
//! field or parameter; an enum is a union of its case names; a variant whose one payload is
//! `other(string)` (a job's status) is a string: its case names with `-` as `_`, or any other
//! text; a function takes the WIT's parameters, then the host's options, and returns its `ok`
//! type (its `error` is thrown as `OpenAiFtError`); a parameter named `path` is the one file the
//! call is granted. An error's fields are those of its cases' records, but `message`, with `kind`
//! named `type` (the error's `kind` is its case).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use wit_parser::{Docs, Resolve, Type, TypeDefKind, TypeId, WorldItem, WorldKey};

/// The typed interfaces, in the order the APIs list them.
const INTERFACES: [&str; 3] = ["jobs", "files", "permissions"];

const HEADER: &str = "generated from the WIT by crates/host-logic/tests/types.rs; do not edit \
                      (regenerate: OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types)";

#[test]
fn the_hosts_api_types_are_generated_from_the_wit() {
    let api = Api::load();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let outputs: [(&str, String); 3] = [
        ("hosts/node/src/wit.d.ts", typescript(&api)),
        ("hosts/node/src/wit.js", javascript(&api)),
        ("hosts/python/src/openai_ft/_wit.py", python(&api)),
    ];
    let regenerate = std::env::var_os("OPENAI_FT_REGENERATE").is_some();
    for (file, text) in outputs {
        let path: PathBuf = repo.join(file);
        if regenerate {
            std::fs::write(&path, &text).unwrap();
        } else {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                current == text,
                "{file} is not what the WIT gives; regenerate it: \
                 OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types"
            );
        }
    }
}

/// A type as the APIs present it.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Number,
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
            Type::U8
            | Type::U16
            | Type::U32
            | Type::U64
            | Type::S8
            | Type::S16
            | Type::S32
            | Type::S64
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
        Ty::Number => "number".into(),
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

fn javascript(api: &Api) -> String {
    let mut out = format!(
        "// The typed interfaces' functions and their parameters, in order; {HEADER}.\n\nexport const INTERFACES = {{\n"
    );
    for iface in &api.interfaces {
        writeln!(out, "  {}: {{", iface.name).unwrap();
        for f in &iface.functions {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| format!("'{}'", camel(&p.name)))
                .collect();
            writeln!(out, "    {}: [{}],", camel(&f.name), params.join(", ")).unwrap();
        }
        out.push_str("  },\n");
    }
    out.push_str("};\n");
    out
}

// ---- Python --------------------------------------------------------------------------------

fn py_ty(ty: &Ty) -> String {
    match ty {
        Ty::Number => "int".into(),
        Ty::Text => "str".into(),
        Ty::Bool => "bool".into(),
        Ty::List(t) => format!("List[{}]", py_ty(t)),
        Ty::Option(t) => format!("Optional[{}]", py_ty(t)),
        Ty::Named(n) => n.clone(),
    }
}

fn python(api: &Api) -> String {
    let mut out = format!(
        "\"\"\"The typed API's types and interfaces, {HEADER}.\"\"\"\n\n\
         from __future__ import annotations\n\n\
         from dataclasses import dataclass\n\
         from typing import Any, Callable, List, Literal, Optional, Sequence\n"
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
                    "{} = str\n\"\"\"{} One of {}, or another the API returns.\"\"\"",
                    t.name,
                    t.docs,
                    names.join(", ")
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
        "\n\n#: How a typed function reaches the component: (interface, function, result type, arguments,\n\
         #: options, the path of the file granted).\nCall = Callable[[str, str, Any, List[Any], Any, Optional[str]], Any]\n",
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
            // A list parameter takes any sequence (the runtime passes it on as a list).
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| match &p.ty {
                    Ty::Option(_) => format!("{}: {} = None", snake(&p.name), py_ty(&p.ty)),
                    Ty::List(t) => format!("{}: Sequence[{}]", snake(&p.name), py_ty(t)),
                    t => format!("{}: {}", snake(&p.name), py_ty(t)),
                })
                .collect();
            let args: Vec<String> = f.params.iter().map(|p| snake(&p.name)).collect();
            let grant = if args.iter().any(|a| a == "path") {
                "path"
            } else {
                "None"
            };
            writeln!(
                out,
                "\n    def {}(self, {}, **options: Any) -> {}:\n        \"\"\"{}\"\"\"\n        \
                 return self._call(\"{}\", \"{}\", {}, [{}], options, {grant})",
                snake(&f.name),
                params.join(", "),
                py_ty(&f.result),
                f.docs,
                iface.name,
                f.name,
                py_ty(&f.result),
                args.join(", ")
            )
            .unwrap();
        }
    }
    out
}
