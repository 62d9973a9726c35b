//! Reading `norms/`: one folder per scheme with `scheme.toml` (the scheme and its facts), one file
//! per version named by its first day, and `cases/` with the test cases. Every problem is
//! collected with its file and line, so one run shows everything that needs fixing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::facts::{Collection, FactCatalog, FactDecl, FactValue};
use super::model::{CasesFile, Derived, FactFile, ItemFile, SchemeFile, VersionFile};
use super::{Item, NormVersion, Param, Registry, Scheme, Variant};

/// One thing wrong with the norm files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based line, where the problem has a place in the file.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every problem found while loading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in the norm files:", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    fn add(&mut self, file: &str, line: Option<usize>, message: impl Into<String>) {
        self.list.push(Problem {
            file: file.to_owned(),
            line,
            message: message.into(),
        });
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The line where `needle` first appears after `from`, to point at an item's problem.
fn line_of_text(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|offset| line_of(text, offset))
}

fn parse<T: DeserializeOwned>(file: &str, text: &str, problems: &mut Problems) -> Option<T> {
    match toml::from_str(text) {
        Ok(value) => Some(value),
        Err(e) => {
            let line = e.span().map(|span| line_of(text, span.start));
            problems.add(file, line, e.message().to_owned());
            None
        }
    }
}

/// The files of one scheme folder.
#[derive(Default)]
struct SchemeSources {
    scheme: Option<(String, String)>,
    versions: Vec<(String, String)>,
    cases: Vec<(String, String)>,
}

impl Registry {
    /// Loads every scheme folder under `dir`.
    pub fn load_dir(dir: &Path) -> Result<Registry, LoadError> {
        let mut files = Vec::new();
        let mut problems = Problems { list: Vec::new() };
        let read_dir = |path: &Path, problems: &mut Problems| -> Vec<std::path::PathBuf> {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut paths: Vec<_> =
                        entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                    paths.sort();
                    paths
                }
                Err(e) => {
                    problems.add(
                        &path.display().to_string(),
                        None,
                        format!("cannot read the folder: {e}"),
                    );
                    Vec::new()
                }
            }
        };
        for scheme_dir in read_dir(dir, &mut problems)
            .into_iter()
            .filter(|p| p.is_dir())
        {
            let mut paths = read_dir(&scheme_dir, &mut problems);
            let cases = scheme_dir.join("cases");
            if cases.is_dir() {
                paths.extend(read_dir(&cases, &mut problems));
            }
            for path in paths
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            {
                match std::fs::read_to_string(&path) {
                    Ok(text) => files.push((path.display().to_string(), text)),
                    Err(e) => problems.add(
                        &path.display().to_string(),
                        None,
                        format!("cannot read: {e}"),
                    ),
                }
            }
        }
        if !problems.list.is_empty() {
            return Err(LoadError {
                problems: problems.list,
            });
        }
        if files.is_empty() {
            return Err(LoadError {
                problems: vec![Problem {
                    file: dir.display().to_string(),
                    line: None,
                    message: "no norm files here (expected <scheme>/scheme.toml and versions)"
                        .into(),
                }],
            });
        }
        Self::from_sources(files)
    }

    /// Builds the registry from `(path, content)` pairs laid out as in `norms/`.
    pub fn from_sources(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Registry, LoadError> {
        let mut problems = Problems { list: Vec::new() };
        let mut by_scheme: BTreeMap<String, SchemeSources> = BTreeMap::new();
        for (path, text) in files {
            let parts: Vec<&str> = path.split(['/', '\\']).collect();
            let (scheme, in_cases) = match parts.as_slice() {
                [.., scheme, "cases", _] => (scheme.to_string(), true),
                [.., scheme, _] => (scheme.to_string(), false),
                _ => {
                    problems.add(
                        &path,
                        None,
                        "a norm file belongs in a scheme folder, e.g. snf/2025-07-01.toml",
                    );
                    continue;
                }
            };
            let sources = by_scheme.entry(scheme).or_default();
            if in_cases {
                sources.cases.push((path, text));
            } else if path.ends_with("scheme.toml") {
                sources.scheme = Some((path, text));
            } else {
                sources.versions.push((path, text));
            }
        }

        let mut schemes = BTreeMap::new();
        for (id, sources) in by_scheme {
            if let Some(scheme) = build_scheme(&id, sources, &mut problems) {
                schemes.insert(id, scheme);
            }
        }
        if problems.list.is_empty() {
            Ok(Registry { schemes })
        } else {
            Err(LoadError {
                problems: problems.list,
            })
        }
    }
}

fn fact_decl(file: &str, name: &str, raw: FactFile, problems: &mut Problems) -> FactDecl {
    if let (Some(min), Some(max)) = (raw.min, raw.max)
        && min > max
    {
        problems.add(
            file,
            None,
            format!("fact {name}: min {min} is above max {max}"),
        );
    }
    FactDecl {
        fact_type: raw.fact_type,
        unit: raw.unit,
        min: raw.min,
        max: raw.max,
        help: raw.help,
        register: raw.register,
    }
}

fn build_scheme(id: &str, sources: SchemeSources, problems: &mut Problems) -> Option<Scheme> {
    let Some((scheme_path, scheme_text)) = sources.scheme else {
        problems.add(id, None, "the scheme folder has no scheme.toml");
        return None;
    };
    let raw: SchemeFile = parse(&scheme_path, &scheme_text, problems)?;
    let source_keys_declared: BTreeSet<String> = raw.sources.keys().cloned().collect();
    if raw.scheme != id {
        problems.add(
            &scheme_path,
            line_of_text(&scheme_text, "scheme"),
            format!("scheme {:?} does not match its folder {id:?}", raw.scheme),
        );
    }
    let terms = &raw.certificate;
    if !(1..=60).contains(&terms.validity_months) {
        problems.add(
            &scheme_path,
            line_of_text(&scheme_text, "validity_months"),
            "certificate.validity_months must be 1 to 60",
        );
    }
    if terms.renewal_window_days > 366 {
        problems.add(
            &scheme_path,
            line_of_text(&scheme_text, "renewal_window_days"),
            "certificate.renewal_window_days must be at most 366",
        );
    }
    if !source_keys_declared.contains(&terms.source) {
        problems.add(
            &scheme_path,
            line_of_text(&scheme_text, "[certificate]"),
            format!(
                "certificate.source {:?} is not one of the scheme's [sources]",
                terms.source
            ),
        );
    }
    let mut catalog = FactCatalog::default();
    for (name, fact) in raw.fact {
        let decl = fact_decl(&scheme_path, &name, fact, problems);
        catalog.facts.insert(name, decl);
    }
    for (name, collection) in raw.collection {
        if catalog.facts.contains_key(&name) {
            problems.add(
                &scheme_path,
                line_of_text(&scheme_text, &format!("[collection.{name}")),
                format!("{name} is declared both as a fact and as a collection"),
            );
        }
        let facts = collection
            .fact
            .into_iter()
            .map(|(field, fact)| {
                let decl = fact_decl(&scheme_path, &format!("{name}.{field}"), fact, problems);
                (field, decl)
            })
            .collect();
        catalog.collections.insert(
            name,
            Collection {
                scope: collection.scope,
                element: collection.element,
                help: collection.help,
                max_len: collection.max_len,
                facts,
            },
        );
    }
    let catalog = Arc::new(catalog);

    let env = match math_env() {
        Ok(env) => Arc::new(env),
        Err(e) => {
            problems.add(
                &scheme_path,
                None,
                format!("the expression language could not be set up: {e}"),
            );
            return None;
        }
    };

    let mut parsed: Vec<(&String, &String, VersionFile)> = sources
        .versions
        .iter()
        .filter_map(|(path, text)| {
            parse::<VersionFile>(path, text, problems).map(|raw| (path, text, raw))
        })
        .collect();
    parsed.sort_by_key(|(_, _, raw)| raw.valid_from);
    // Items as each version has them after inheriting from its base, with where each was written,
    // and the texts that make up the version (for its hash).
    let mut resolved: BTreeMap<String, (Vec<Located>, Vec<String>)> = BTreeMap::new();
    let mut versions = Vec::new();
    for (path, text, mut raw) in parsed {
        let (mut items, mut texts) = match &raw.base {
            None => (Vec::new(), Vec::new()),
            Some(base) => match resolved.get(base) {
                Some(found) => found.clone(),
                None => {
                    problems.add(
                        path,
                        line_of_text(text, "base"),
                        format!("base {base:?} is no earlier version of this scheme"),
                    );
                    continue;
                }
            },
        };
        for id in &raw.removed {
            let before = items.len();
            items.retain(|i| &i.item.id != id);
            if items.len() == before {
                problems.add(
                    path,
                    line_of_text(text, "removed"),
                    format!("removes item {id}, which the base does not have"),
                );
            }
        }
        for item in std::mem::take(&mut raw.items) {
            let located = Located {
                file: path.clone(),
                line: line_of_text(text, &format!("id = \"{}\"", item.id)),
                item,
            };
            match items.iter_mut().find(|i| i.item.id == located.item.id) {
                Some(existing) if raw.base.is_some() => *existing = located,
                Some(_) => problems.add(
                    path,
                    located.line,
                    format!("item {} is defined twice", located.item.id),
                ),
                None => items.push(located),
            }
        }
        texts.push(text.clone());
        resolved.insert(raw.version.clone(), (items.clone(), texts.clone()));
        if let Some(version) = build_version(
            id,
            path,
            text,
            &scheme_text,
            raw,
            items,
            &texts,
            &catalog,
            &env,
            &source_keys_declared,
            problems,
        ) {
            versions.push(version);
        }
    }
    versions.sort_by_key(|v| v.valid_from);
    for pair in versions.windows(2) {
        if pair[0].version == pair[1].version {
            problems.add(
                id,
                None,
                format!("version {} is defined twice", pair[0].version),
            );
        }
    }
    let known: BTreeSet<&str> = versions.iter().map(|v| v.version.as_str()).collect();
    for v in &versions {
        if let Some(s) = &v.supersedes
            && !known.contains(s.as_str())
        {
            problems.add(
                id,
                None,
                format!("version {} supersedes {s}, which is not defined", v.version),
            );
        }
    }

    let mut cases = Vec::new();
    for (path, text) in &sources.cases {
        if let Some(file) = parse::<CasesFile>(path, text, problems) {
            cases.extend(file.cases.into_iter().map(|c| (path.clone(), c)));
        }
    }

    Some(Scheme {
        id: id.to_owned(),
        name: raw.name,
        owner: raw.owner,
        sources: raw.sources,
        certificate: raw.certificate,
        facts: catalog,
        versions,
        cases,
    })
}

fn math_env() -> Result<cel::Env, cel::DeclarationError> {
    let mut env = cel::Env::stdlib();
    env.add_extension(cel::extensions::math)?;
    Ok(env)
}

/// Keys like `S14` (a capital and digits) in a free-text source reference.
fn source_keys(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| {
            t.len() > 1
                && t.starts_with(|c: char| c.is_ascii_uppercase())
                && t[1..].bytes().all(|b| b.is_ascii_digit())
        })
}

fn param_value(value: &toml::Value) -> Option<FactValue> {
    match value {
        toml::Value::Integer(i) => Some(FactValue::Integer(*i)),
        toml::Value::Float(f) => Some(FactValue::Number(*f)),
        toml::Value::Boolean(b) => Some(FactValue::Boolean(*b)),
        _ => None,
    }
}

/// An item as written, and where.
#[derive(Clone)]
struct Located {
    file: String,
    line: Option<usize>,
    item: ItemFile,
}

#[allow(clippy::too_many_arguments)]
fn build_version(
    scheme: &str,
    path: &str,
    text: &str,
    scheme_text: &str,
    raw: VersionFile,
    items: Vec<Located>,
    texts: &[String],
    catalog: &Arc<FactCatalog>,
    env: &Arc<cel::Env>,
    sources: &BTreeSet<String>,
    problems: &mut Problems,
) -> Option<NormVersion> {
    let before = problems.list.len();
    if raw.scheme != scheme {
        problems.add(
            path,
            line_of_text(text, "scheme"),
            format!(
                "scheme {:?} does not match its folder {scheme:?}",
                raw.scheme
            ),
        );
    }
    let file_name = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if file_name != raw.valid_from.to_string() {
        problems.add(
            path,
            None,
            format!(
                "the file should be named after its first day: {}.toml",
                raw.valid_from
            ),
        );
    }
    if let Some(to) = raw.valid_to
        && to < raw.valid_from
    {
        problems.add(
            path,
            line_of_text(text, "valid_to"),
            format!("valid_to {to} is before valid_from {}", raw.valid_from),
        );
    }
    if items.is_empty() {
        problems.add(path, None, "the version has no items");
    }
    let built: Vec<Item> = items
        .into_iter()
        .filter_map(|located| {
            build_item(
                &located.file,
                located.line,
                located.item,
                catalog,
                env,
                sources,
                problems,
            )
        })
        .collect();
    if problems.list.len() > before {
        return None;
    }
    // The hash covers everything the version's meaning rests on: the fact declarations and
    // every file of its chain of bases.
    let mut hasher = Sha256::new();
    hasher.update(scheme_text.as_bytes());
    for t in texts {
        hasher.update(t.as_bytes());
    }
    Some(NormVersion {
        scheme: raw.scheme,
        version: raw.version,
        title: raw.title,
        valid_from: raw.valid_from,
        valid_to: raw.valid_to,
        supersedes: raw.supersedes,
        changes: raw.changes,
        hash: hex::encode(hasher.finalize()),
        applies_when: raw.applies_when,
        items: built,
        facts: catalog.clone(),
        env: env.clone(),
    })
}

fn build_item(
    path: &str,
    line: Option<usize>,
    raw: ItemFile,
    catalog: &FactCatalog,
    env: &cel::Env,
    sources: &BTreeSet<String>,
    problems: &mut Problems,
) -> Option<Item> {
    let id = raw.id.clone();
    let mut fail = |message: String| problems.add(path, line, format!("item {id}: {message}"));

    for key in source_keys(&raw.source)
        .chain(raw.params.values().flat_map(|p| source_keys(&p.source)))
        .chain(source_keys(&raw.repair.source))
    {
        if !sources.contains(key) {
            fail(format!("source {key} is not listed in scheme.toml"));
        }
    }

    let collection = match &raw.per {
        Some(name) => match catalog.collections.get(name) {
            Some(c) => Some(c),
            None => {
                fail(format!("per = {name:?} names no declared collection"));
                None
            }
        },
        None => None,
    };

    let mut params = BTreeMap::new();
    for (name, param) in &raw.params {
        match param_value(&param.value) {
            Some(value) => {
                params.insert(
                    name.clone(),
                    Param {
                        value,
                        unit: param.unit.as_str().into(),
                        source: param.source.as_str().into(),
                        confirmed: param.confirmed,
                    },
                );
            }
            None => fail(format!("parameter {name} must be a number or true/false")),
        }
    }
    let mut variants = Vec::new();
    for variant in raw.variants {
        let mut values = BTreeMap::new();
        for (name, value) in &variant.params {
            match (params.get(name), param_value(value)) {
                (None, _) => fail(format!(
                    "a variant sets {name}, which is not a parameter of the item"
                )),
                (Some(_), None) => fail(format!(
                    "a variant gives {name} a value that is not a number"
                )),
                (Some(base), Some(v))
                    if std::mem::discriminant(&base.value) != std::mem::discriminant(&v) =>
                {
                    fail(format!(
                        "a variant gives {name} another type than the parameter has (write 15.0, not 15, for a decimal)"
                    ))
                }
                (Some(_), Some(v)) => {
                    values.insert(name.clone(), v);
                }
            }
        }
        variants.push(Variant {
            when: variant.when,
            note: variant.note,
            params: values,
        });
    }

    let mut compile = |what: &str, source: &str| match env.compile(source) {
        Ok(program) => Some(program),
        Err(e) => {
            problems.add(
                path,
                line,
                format!("item {id}: the {what} does not parse: {e}"),
            );
            None
        }
    };
    let mut derived = Vec::new();
    for d in &raw.derive {
        if let Some(program) = compile(&format!("derived value {}", d.name), &d.expr) {
            derived.push((d.name.clone(), program));
        }
    }
    let check = compile("check", &raw.check)?;
    let check_inline = match (&raw.per, raw.derive.is_empty()) {
        (Some(_), false) => compile(
            "check (with derived values written out)",
            &inline_derived(&raw.check, &raw.derive),
        ),
        _ => None,
    };
    if derived.len() != raw.derive.len() {
        return None;
    }

    // Every name an expression reads must be a parameter, a derived value defined before it, a
    // declared fact, or a field of the collection the item runs over.
    let mut reads = BTreeSet::new();
    let mut reads_each = BTreeSet::new();
    let mut defined: Vec<&str> = Vec::new();
    let mut used_params = BTreeSet::new();
    let programs = derived
        .iter()
        .map(|(n, p)| (Some(n.as_str()), p))
        .chain([(None, &check)]);
    let mut unknown = Vec::new();
    for (name, program) in programs {
        for variable in program.references().variables() {
            if variable == "math" {
                continue;
            } else if params.contains_key(variable) {
                used_params.insert(variable.to_owned());
            } else if defined.contains(&variable) {
            } else if collection.is_some_and(|c| c.facts.contains_key(variable)) {
                reads_each.insert(variable.to_owned());
            } else if catalog.facts.contains_key(variable) {
                reads.insert(variable.to_owned());
            } else {
                unknown.push(variable.to_owned());
            }
        }
        if let Some(name) = name {
            defined.push(name);
        }
    }
    let mut fail = |message: String| problems.add(path, line, format!("item {id}: {message}"));
    // One name, one meaning: a check sees an element's fields over the thresholds over the
    // location's facts, and its derived values beside them, so a threshold or a derived value
    // named like something else could read as either.
    let fact_named = |name: &str| {
        catalog.facts.contains_key(name) || collection.is_some_and(|c| c.facts.contains_key(name))
    };
    for name in params.keys().filter(|name| fact_named(name)) {
        fail(format!(
            "parameter {name} has the name of a fact; give it a name of its own"
        ));
    }
    for d in raw
        .derive
        .iter()
        .filter(|d| params.contains_key(&d.name) || fact_named(&d.name))
    {
        fail(format!(
            "derived value {} has the name of a parameter or a fact; give it a name of its own",
            d.name
        ));
    }
    for variable in unknown {
        fail(format!(
            "reads {variable}, which is no declared fact, parameter or earlier derived value"
        ));
    }
    for name in params.keys().filter(|p| !used_params.contains(*p)) {
        fail(format!("parameter {name} is never used by its check"));
    }
    for name in placeholders(&raw.explain) {
        let known = params.contains_key(name)
            || defined.contains(&name)
            || reads.contains(name)
            || reads_each.contains(name)
            || (collection.is_some() && matches!(name, "n" | "element"));
        if !known {
            fail(format!(
                "the explanation shows {{{name}}}, which the check does not use"
            ));
        }
    }
    if collection.is_none() && reads_each.is_empty() && reads.is_empty() {
        fail("the check reads no fact".into());
    }

    Some(Item {
        id: raw.id.into(),
        article: raw.article.into(),
        title: raw.title,
        severity: raw.severity,
        inspection: raw.inspection,
        source: raw.source,
        applies_when: raw.applies_when,
        repair: raw.repair,
        evidence: raw.evidence,
        params,
        variants,
        per: raw.per,
        derived,
        check,
        check_inline,
        derive_source: raw.derive,
        check_source: raw.check,
        explain: raw.explain,
        reads: reads.into_iter().collect(),
        reads_each: reads_each.into_iter().collect(),
    })
}

/// `check` with every derived name replaced by its parenthesised expression (itself written out
/// in terms of the derived values before it).
fn inline_derived(check: &str, derived: &[Derived]) -> String {
    let mut expanded: Vec<(&str, String)> = Vec::new();
    for d in derived {
        let text = replace_identifiers(&d.expr, &expanded);
        expanded.push((&d.name, text));
    }
    replace_identifiers(check, &expanded)
}

/// Replaces whole identifiers (not member names after a dot, not inside string literals).
fn replace_identifiers(source: &str, by: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.char_indices().peekable();
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    while let Some((start, c)) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            previous = c;
            continue;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
            out.push(c);
            previous = c;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(i, n)) = chars.peek() {
                if n.is_ascii_alphanumeric() || n == '_' {
                    end = i + n.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = &source[start..end];
            match by.iter().find(|(name, _)| *name == word) {
                Some((_, text)) if previous != '.' => {
                    out.push('(');
                    out.push_str(text);
                    out.push(')');
                }
                _ => out.push_str(word),
            }
            previous = 'a';
            continue;
        }
        out.push(c);
        if !c.is_whitespace() {
            previous = c;
        }
    }
    out
}

/// The `{name}` placeholders of a template.
fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme() -> (String, String) {
        (
            "norms/x/scheme.toml".into(),
            r#"
scheme = "x"
name = { nl = "X", en = "X" }
owner = "test"
sources = { S1 = "a source" }
certificate = { validity_months = 12, renewal_window_days = 42, source = "S1", confirmed = false }
[fact.residents]
type = "integer"
min = 0
help = { nl = "bewoners", en = "residents" }
[fact.toilets]
type = "integer"
min = 0
help = { nl = "toiletten", en = "toilets" }
"#
            .into(),
        )
    }

    fn version(check: &str, extra: &str) -> (String, String) {
        (
            "norms/x/2020-01-01.toml".into(),
            format!(
                r#"
scheme = "x"
version = "1"
title = {{ nl = "Een", en = "One" }}
valid_from = 2020-01-01
changes = "first"

[[item]]
id = "1.1"
article = "1.1"
title = {{ nl = "Toiletten", en = "Toilets" }}
severity = "major"
source = "S1"
repair = {{ term_days = 28, closed_by = "reinspection", source = "S1", confirmed = false }}
check = "{check}"
explain = "{{residents}} residents, {{toilets}} toilets"
{extra}
[item.params.per_toilet]
value = 8
unit = "persons"
source = "S1"
confirmed = true
"#
            ),
        )
    }

    fn problems(files: Vec<(String, String)>) -> Vec<String> {
        match Registry::from_sources(files) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn derived_values_are_written_out_whole_words_only() {
        let derived = [
            Derived {
                name: "need".into(),
                expr: "per * double(n)".into(),
            },
            Derived {
                name: "need2".into(),
                expr: "need + 1.0".into(),
            },
        ];
        assert_eq!(
            inline_derived("area >= need2 && x.need > 0 && needle == 'need'", &derived),
            "area >= ((per * double(n)) + 1.0) && x.need > 0 && needle == 'need'"
        );
    }

    #[test]
    fn a_good_file_loads() {
        let found = problems(vec![
            scheme(),
            version("toilets * per_toilet >= residents", ""),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn names_file_line_and_problem() {
        let found = problems(vec![
            scheme(),
            version("toilets * per_toilet >= residents", "colour = \"red\""),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("norms/x/2020-01-01.toml:"),
            "{found:?}"
        );
        assert!(found[0].contains("colour"), "{found:?}");
        let line: usize = found[0].split(':').nth(1).unwrap().parse().unwrap();
        assert_eq!(line, 17);
    }

    #[test]
    fn every_name_must_be_declared_and_every_parameter_used() {
        let found = problems(vec![
            scheme(),
            version("toilets * 8 >= residents + showers", ""),
        ]);
        assert!(
            found.iter().any(|p| p.contains("reads showers")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|p| p.contains("parameter per_toilet is never used")),
            "{found:?}"
        );
    }

    #[test]
    fn thresholds_and_derived_values_have_names_of_their_own() {
        let (path, text) = version(
            "toilets * per_toilet >= residents",
            "derive = [{ name = \"per_toilet\", expr = \"8\" }, { name = \"toilets\", expr = \"1\" }]",
        );
        let text = text.replace("[item.params.per_toilet]", "[item.params.residents]");
        let found = problems(vec![scheme(), (path, text)]);
        for expected in [
            "parameter residents has the name of a fact",
            "derived value toilets has the name of a parameter or a fact",
        ] {
            assert!(
                found.iter().any(|p| p.contains(expected)),
                "{expected}: {found:?}"
            );
        }
    }

    #[test]
    fn a_bad_expression_is_reported() {
        let found = problems(vec![scheme(), version("toilets * per_toilet >=", "")]);
        assert!(
            found.iter().any(|p| p.contains("the check does not parse")),
            "{found:?}"
        );
    }

    #[test]
    fn unknown_sources_and_misnamed_files() {
        let (_, text) = version("toilets * per_toilet >= residents", "");
        let found = problems(vec![
            scheme(),
            (
                "norms/x/2021-01-01.toml".into(),
                text.replace("source = \"S1\"\nrepair", "source = \"S9\"\nrepair"),
            ),
        ]);
        assert!(found.iter().any(|p| p.contains("source S9")), "{found:?}");
        assert!(
            found
                .iter()
                .any(|p| p.contains("named after its first day")),
            "{found:?}"
        );
    }
}
