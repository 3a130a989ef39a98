//! Release post-processing of a wasm-bindgen bundle: short names for the glue's imports and the
//! internal exports, then the glue minified with esbuild.
//!
//! Why: wasm-bindgen names every import `__wbg_<name>_<16 hex digits>` and every closure shim
//! `wasm_bindgen__convert__closures_____invoke__h<16 hex digits>`. Each name is written twice,
//! in the wasm import/export section and in the glue, and the hashes do not compress: for the
//! SDK size probe they were about 1.9 KB of the gzip size, and the unminified glue another
//! 1.3 KB. Emscripten does the same renaming in its release builds (`minify-imports-and-exports`);
//! binaryen's pass of that name left wasm-bindgen's imports as they were (it is made for
//! Emscripten's `env` module), so this does it for wasm-bindgen's.
//!
//! The glue module itself (`./<stem>_bg.js`, written before each of its ~100 imports) becomes
//! `w`, and custom sections (`producers`, `target_features`: for tools only) are dropped.
//!
//! Only names that are private to the bundle change: imports of the glue module and exports that
//! are wasm-bindgen's ABI (`__wbindgen_*`, `__wbg_*`, `__externref_*`, `wasm_bindgen__*`,
//! `__wasm_bindgen_*`). `memory` and the app's own exports keep their names, so what `init()`
//! resolves to still has them. The glue is checked before it is rewritten: every import name must
//! appear in it exactly once (as its key in the imports object) and every renamed export only as
//! `wasm.<name>` (bare uses only where the glue declares a JS wrapper function of that name: they
//! are that function). Anything else fails the build with the reason (a newer wasm-bindgen whose
//! glue this does not understand), rather than shipping a broken bundle.
//! esbuild drops comments, wasm-bindgen's `@ts-self-types` hint among them; the `.d.ts` still sits
//! next to the glue.

use anyhow::{Context, Result, bail};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasmparser::{Parser, Payload};

/// Old → new names of one bundle.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Renames {
    /// Imports of the glue module.
    pub imports: Vec<(String, String)>,
    /// Internal exports.
    pub exports: Vec<(String, String)>,
}

/// The `n`-th short identifier: `a`…`Z`, then `a0`…`Z9`, `aa`… (a letter, then base 62 digits).
/// Imports and exports are separate namespaces (object keys of the imports object and
/// properties of `wasm`), so both count from 0.
fn short_name(n: usize) -> String {
    const CHARS: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = vec![CHARS[n % 52]];
    let mut rest = n / 52;
    while rest > 0 {
        rest -= 1;
        out.push(CHARS[rest % 62]);
        rest /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Whether an export is wasm-bindgen's ABI rather than something the app exports.
fn is_internal_export(name: &str) -> bool {
    // `__wasm_bindgen_func_elem_<n>`: closure shims of a module without a name section (the
    // release profile strips it); `wasm_bindgen__…`: the same shims when names are present.
    [
        "__wbindgen_",
        "__wbg_",
        "__externref_",
        "wasm_bindgen__",
        "__wasm_bindgen_",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// The import module name that replaces `./<stem>_bg.js` (written before every import name).
const GLUE_MODULE: &str = "w";

/// Rewrites the import and export sections of `wasm` (the other sections are copied byte for
/// byte, custom sections dropped) and returns the new module with the renames it made.
pub fn rename_wasm(wasm: &[u8], glue_module: &str) -> Result<(Vec<u8>, Renames)> {
    let mut module = wasm_encoder::Module::new();
    let mut renames = Renames::default();
    let mut reencoder = RoundtripReencoder;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.context("reading the wasm module")?;
        match &payload {
            Payload::ImportSection(reader) => {
                let mut section = wasm_encoder::ImportSection::new();
                for import in reader.clone().into_imports() {
                    let import = import.context("reading an import")?;
                    let ty = reencoder
                        .entity_type(import.ty)
                        .context("re-encoding an import type")?;
                    if import.module == glue_module {
                        let new = short_name(renames.imports.len());
                        section.import(GLUE_MODULE, &new, ty);
                        renames.imports.push((import.name.to_owned(), new));
                    } else {
                        section.import(import.module, import.name, ty);
                    }
                }
                module.section(&section);
            }
            Payload::ExportSection(reader) => {
                // Short names must not take a name the module keeps (`memory`, the app's
                // exports): those are read first.
                let mut kept = Vec::new();
                for export in reader.clone() {
                    let export = export.context("reading an export")?;
                    if !is_internal_export(export.name) {
                        kept.push(export.name.to_owned());
                    }
                }
                let mut next_export = 0;
                let mut section = wasm_encoder::ExportSection::new();
                for export in reader.clone() {
                    let export = export.context("reading an export")?;
                    let name = if is_internal_export(export.name) {
                        let new = loop {
                            let n = short_name(next_export);
                            next_export += 1;
                            if !kept.contains(&n) {
                                break n;
                            }
                        };
                        renames.exports.push((export.name.to_owned(), new.clone()));
                        new
                    } else {
                        export.name.to_owned()
                    };
                    let kind = reencoder.export_kind(export.kind).context("export kind")?;
                    section.export(&name, kind, export.index);
                }
                module.section(&section);
            }
            // The code section arrives as a start plus one payload per body: copy it whole at
            // its start and skip the bodies. Custom sections (`producers`, `target_features`)
            // are for tools, never read when the page runs: dropped.
            Payload::CodeSectionEntry(_)
            | Payload::CustomSection(_)
            | Payload::Version { .. }
            | Payload::End(_) => {}
            other => {
                if let Some((id, range)) = other.as_section() {
                    module.section(&wasm_encoder::RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    Ok((module.finish(), renames))
}

/// Whether `hay[at..]` starts a whole identifier `word` (no identifier character around it).
fn whole_word_at(hay: &str, at: usize, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let before = hay[..at].chars().next_back().is_none_or(|c| !ident(c));
    let after = hay[at + word.len()..]
        .chars()
        .next()
        .is_none_or(|c| !ident(c));
    before && after
}

/// Byte offsets of every whole-identifier occurrence of `word` in `hay`.
fn occurrences(hay: &str, word: &str) -> Vec<usize> {
    hay.match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| whole_word_at(hay, i, word))
        .collect()
}

/// Applies `renames` to the glue. Fails, renaming nothing, when the glue uses a name in a way
/// this does not expect (see the module docs).
pub fn rewrite_glue(js: &str, glue_module: &str, renames: &Renames) -> Result<String> {
    // (offset, old length, new text), checked first, applied at the end.
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    // The imports object's key for the glue module, a quoted string.
    let quoted = ["\"", glue_module, "\""].concat();
    let keys: Vec<usize> = js.match_indices(&quoted).map(|(i, _)| i).collect();
    if keys.len() != 1 {
        bail!(
            "the glue names the module {quoted} {} times (expected once, as a key)",
            keys.len()
        );
    }
    let new_key = ["\"", GLUE_MODULE, "\""].concat();
    edits.push((keys[0], quoted.len(), &new_key));
    for (old, new) in &renames.imports {
        let at = occurrences(js, old);
        if at.len() != 1 {
            bail!(
                "the glue names the import `{old}` {} times (expected once, as its key)",
                at.len()
            );
        }
        edits.push((at[0], old.len(), new));
    }
    for (old, new) in &renames.exports {
        // A closure shim's JS wrapper may carry the export's name (`function <name>(…)
        // { … wasm.<name>(…) … }`): bare uses then name that local function, which esbuild
        // renames on its own, and only `wasm.<name>` is the export.
        let local = js.contains(&["function ", old, "("].concat());
        for at in occurrences(js, old) {
            if js[..at].ends_with("wasm.") {
                edits.push((at, old.len(), new));
            } else if !local {
                bail!("the glue uses the export `{old}` other than as `wasm.{old}`");
            }
        }
    }
    edits.sort_unstable_by_key(|e| e.0);
    let mut out = String::with_capacity(js.len());
    let mut pos = 0;
    for (at, len, new) in edits {
        if at < pos {
            bail!("overlapping names in the glue at byte {at}");
        }
        out.push_str(&js[pos..at]);
        out.push_str(new);
        pos = at + len;
    }
    out.push_str(&js[pos..]);
    Ok(out)
}

/// Applies the export renames to the TypeScript declarations (`InitOutput` lists the exports).
pub fn rewrite_dts(dts: &str, renames: &Renames) -> String {
    let mut out = dts.to_owned();
    for (old, new) in &renames.exports {
        out = out.replace(&format!("readonly {old}:"), &format!("readonly {new}:"));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// A module importing two glue functions and one snippet function, exporting memory, an app
    /// function and two wasm-bindgen internals.
    fn module() -> Vec<u8> {
        use wasm_encoder::*;
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let mut imports = ImportSection::new();
        imports.import(
            "./app_bg.js",
            "__wbg_log_0123456789abcdef",
            EntityType::Function(0),
        );
        imports.import(
            "./app_bg.js",
            "__wbindgen_throw_fedcba9876543210",
            EntityType::Function(0),
        );
        imports.import("./snippets/x/inline0.js", "helper", EntityType::Function(0));
        m.section(&imports);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut mems = MemorySection::new();
        mems.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&mems);
        let mut exports = ExportSection::new();
        exports.export("memory", ExportKind::Memory, 0);
        exports.export("start", ExportKind::Func, 3);
        exports.export("__wbindgen_malloc", ExportKind::Func, 3);
        exports.export(
            "wasm_bindgen__convert__closures_____invoke__h0011223344556677",
            ExportKind::Func,
            3,
        );
        exports.export("__wasm_bindgen_func_elem_42", ExportKind::Func, 3);
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instructions().call(0).end();
        code.function(&f);
        m.section(&code);
        m.section(&CustomSection {
            name: "producers".into(),
            data: b"\x00".as_slice().into(),
        });
        m.finish()
    }

    fn names(wasm: &[u8]) -> (Vec<(String, String)>, Vec<String>) {
        let mut imports = Vec::new();
        let mut exports = Vec::new();
        for p in Parser::new(0).parse_all(wasm) {
            match p.unwrap() {
                Payload::ImportSection(r) => {
                    for i in r.into_imports() {
                        let i = i.unwrap();
                        imports.push((i.module.to_owned(), i.name.to_owned()));
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        exports.push(e.unwrap().name.to_owned());
                    }
                }
                _ => {}
            }
        }
        (imports, exports)
    }

    #[test]
    fn only_glue_imports_and_internal_exports_are_renamed_and_the_module_stays_valid() {
        let (out, renames) = rename_wasm(&module(), "./app_bg.js").unwrap();
        wasmparser::Validator::new().validate_all(&out).unwrap();
        let (imports, exports) = names(&out);
        assert_eq!(
            imports,
            [
                ("w".to_owned(), "a".to_owned()),
                ("w".to_owned(), "b".to_owned()),
                ("./snippets/x/inline0.js".to_owned(), "helper".to_owned()),
            ]
        );
        assert_eq!(exports, ["memory", "start", "a", "b", "c"]);
        assert_eq!(renames.exports[2].0, "__wasm_bindgen_func_elem_42");
        assert_eq!(renames.imports[0].0, "__wbg_log_0123456789abcdef");
        let mut customs = 0;
        for p in Parser::new(0).parse_all(&out) {
            customs += usize::from(matches!(p.unwrap(), Payload::CustomSection(_)));
        }
        assert_eq!(customs, 0, "custom sections are dropped");
        assert_eq!(renames.exports[0].0, "__wbindgen_malloc");
        assert!(out.len() < module().len());
    }

    #[test]
    fn short_names_are_unique_identifiers() {
        let all: std::collections::HashSet<String> = (0..20_000).map(short_name).collect();
        assert_eq!(all.len(), 20_000);
        assert!(all.iter().all(|n| n.as_bytes()[0].is_ascii_alphabetic()
            && n.bytes().all(|b| b.is_ascii_alphanumeric())));
        assert_eq!(short_name(0), "a");
        assert_eq!(short_name(51), "Z");
        assert_eq!(short_name(52), "aa");
    }

    #[test]
    fn a_short_export_name_never_takes_a_kept_one() {
        use wasm_encoder::*;
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut exports = ExportSection::new();
        exports.export("a", ExportKind::Func, 0);
        exports.export("__wbindgen_start", ExportKind::Func, 0);
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instructions().end();
        code.function(&f);
        m.section(&code);
        let (out, _) = rename_wasm(&m.finish(), "./app_bg.js").unwrap();
        assert_eq!(names(&out).1, ["a", "b"]);
    }

    fn renames() -> Renames {
        Renames {
            imports: vec![("__wbg_log_01".into(), "q".into())],
            exports: vec![("__wbindgen_malloc".into(), "z".into())],
        }
    }

    #[test]
    fn the_glue_gets_the_same_names() {
        let js = "const i = { \"./app_bg.js\": { __wbg_log_01: function(a) { console.log(a); } } };\n\
                  let p = wasm.__wbindgen_malloc(1); let q = wasm.__wbindgen_malloc_x;";
        let out = rewrite_glue(js, "./app_bg.js", &renames()).unwrap();
        assert_eq!(
            out,
            "const i = { \"w\": { q: function(a) { console.log(a); } } };\n\
             let p = wasm.z(1); let q = wasm.__wbindgen_malloc_x;"
        );
    }

    #[test]
    fn a_local_wrapper_named_like_an_export_keeps_its_name() {
        let js = "const i = { \"./app_bg.js\": { __wbg_log_01: function(a) { f(a, __wbindgen_malloc); } } };\n\
                  function __wbindgen_malloc(n) { return wasm.__wbindgen_malloc(n); }";
        let out = rewrite_glue(js, "./app_bg.js", &renames()).unwrap();
        assert_eq!(
            out,
            "const i = { \"w\": { q: function(a) { f(a, __wbindgen_malloc); } } };\n\
             function __wbindgen_malloc(n) { return wasm.z(n); }"
        );
    }

    #[test]
    fn a_glue_that_uses_a_name_unexpectedly_is_refused() {
        let m = "./app_bg.js";
        let twice = r#"const i = { "./app_bg.js": { __wbg_log_01: f } }; __wbg_log_01();"#;
        assert!(rewrite_glue(twice, m, &renames()).is_err());
        let missing = r#"const i = { "./app_bg.js": {} };"#;
        assert!(rewrite_glue(missing, m, &renames()).is_err());
        let bare = r#"const i = { "./app_bg.js": { __wbg_log_01: f } }; __wbindgen_malloc(1);"#;
        assert!(rewrite_glue(bare, m, &renames()).is_err());
        let no_module = "const i = { __wbg_log_01: f };";
        assert!(rewrite_glue(no_module, m, &renames()).is_err());
    }

    #[test]
    fn declarations_follow_the_exports() {
        let dts = "export interface InitOutput {\n  readonly memory: WebAssembly.Memory;\n  \
                   readonly __wbindgen_malloc: (a: number) => number;\n}";
        let out = rewrite_dts(dts, &renames());
        assert!(out.contains("readonly z: (a: number) => number;"));
        assert!(out.contains("readonly memory:"));
    }
}
