//! The certificate as a PDF, laid out by `templates/certificate.toml`, in Dutch or English.
//! DejaVu Sans is embedded as a subset, so the file prints the same everywhere and carries
//! Dutch letters (ë, é, ĳ); the QR code is drawn as vector shapes, sharp at any size.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use printpdf::{
    Color, CurTransMat, FontId, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem, WindingOrder,
};
use serde::Deserialize;

use super::store::CoveredLocation;
use crate::error::{AppError, AppResult};
use crate::norm::Text;

const LAYOUT: &str = include_str!("../../templates/certificate.toml");
const REGULAR: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans-Bold.ttf");

/// The language a certificate is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    fn pick(self, text: &Text) -> &str {
        match self {
            Lang::Nl => &text.nl,
            Lang::En => &text.en,
        }
    }

    /// "1 december 2026" or "1 December 2026".
    fn date(self, date: NaiveDate) -> String {
        const NL: [&str; 12] = [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ];
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let months = match self {
            Lang::Nl => NL,
            Lang::En => EN,
        };
        let month = months[date.month0() as usize];
        format!("{} {month} {}", date.day(), date.year())
    }
}

/// What a certificate shows.
pub struct Printed {
    pub number: String,
    pub provider_name: String,
    pub kvk_number: String,
    pub scheme: String,
    pub scheme_name: Text,
    pub norm_version: String,
    pub norm_hash: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub issued_on: NaiveDate,
    pub locations: Vec<CoveredLocation>,
    /// What the QR code carries.
    pub verify_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layout {
    page: PageSpec,
    block: Vec<Block>,
    style: BTreeMap<String, Style>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageSpec {
    width_mm: f32,
    height_mm: f32,
    margin_mm: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Block {
    /// A paragraph style (`title`, `heading`, `text`, `small`), or one of the special blocks
    /// `field` (label and value), `locations` (one line per address) and `qr`.
    style: String,
    text: Option<Text>,
    label: Option<Text>,
    value: Option<String>,
    size_mm: Option<f32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Style {
    size_pt: f32,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    space_before_mm: f32,
    #[serde(default)]
    space_after_mm: f32,
    label_width_mm: Option<f32>,
}

struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
}

fn layout() -> AppResult<&'static Layout> {
    static LAYOUT_PARSED: OnceLock<Result<Layout, String>> = OnceLock::new();
    LAYOUT_PARSED
        .get_or_init(|| toml::from_str(LAYOUT).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::internal(anyhow::anyhow!("templates/certificate.toml: {e}")))
}

/// The fonts, parsed once.
fn fonts() -> AppResult<&'static Fonts> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let parse = |bytes| ParsedFont::from_bytes(bytes, 0, &mut Vec::new());
            Some(Fonts {
                regular: parse(REGULAR)?,
                bold: parse(BOLD)?,
            })
        })
        .as_ref()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the certificate fonts do not parse")))
}

/// Width of `text` set in `font` at `size`, in points.
fn width(font: &ParsedFont, text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| {
            font.lookup_glyph_index(c as u32)
                .map_or(0, |g| u32::from(font.get_horizontal_advance(g)))
        })
        .sum();
    units as f32 * size / f32::from(font.pdf_font_metrics.units_per_em.max(1))
}

/// Breaks `text` into lines no wider than `max` points.
fn wrap(font: &ParsedFont, text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || width(font, &candidate, size) <= max {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Pages being filled from top to bottom.
struct Canvas<'f> {
    spec: &'f PageSpec,
    fonts: &'f Fonts,
    regular: FontId,
    bold: FontId,
    pages: Vec<Vec<Op>>,
    /// Distance from the bottom of the page to the top of the next line, in mm.
    y: f32,
}

impl Canvas<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Makes room for `height` mm, on a new page if this one is full.
    fn room(&mut self, height: f32) {
        if self.y - height < self.spec.margin_mm && self.y < self.top() {
            self.pages.push(Vec::new());
            self.y = self.top();
        }
    }

    fn top(&self) -> f32 {
        self.spec.height_mm - self.spec.margin_mm
    }

    fn line(&mut self, x: f32, text: &str, size: f32, bold: bool) {
        let font = if bold { &self.bold } else { &self.regular }.clone();
        let baseline = self.y - Mm::from(Pt(size)).0 * 0.8;
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(font),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(baseline)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// A paragraph at `x`, wrapped to `max_mm`, moving down as it goes.
    fn paragraph(&mut self, x: f32, text: &str, style: &Style, max_mm: f32) {
        let font = if style.bold {
            &self.fonts.bold
        } else {
            &self.fonts.regular
        };
        let leading = Mm::from(Pt(style.size_pt)).0 * 1.35;
        for line in wrap(font, text, style.size_pt, Pt::from(Mm(max_mm)).0) {
            self.room(leading);
            self.line(x, &line, style.size_pt, style.bold);
            self.y -= leading;
        }
    }

    /// The QR code of `data`, `size` mm wide, its top left corner at (`x`, `self.y`).
    fn qr(&mut self, x: f32, data: &str, size: f32) -> AppResult<()> {
        let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
            .map_err(|e| AppError::internal(anyhow::anyhow!("QR code: {e}")))?;
        let modules = code.width();
        let colors = code.to_colors();
        let cell = Pt::from(Mm(size / modules as f32)).0;
        let origin = Point::new(Mm(x), Mm(self.y - size));
        // Drawn in module units (one unit a module, row 0 at the top), so that the few
        // hundred rectangles, one per run of dark modules in a row, are small integers.
        let mut ops = vec![
            Op::SaveGraphicsState,
            Op::SetTransformationMatrix {
                matrix: CurTransMat::Raw([cell, 0.0, 0.0, cell, origin.x.0, origin.y.0]),
            },
            Op::SetFillColor {
                col: Color::Rgb(Rgb {
                    r: 0.0,
                    g: 0.0,
                    b: 0.0,
                    icc_profile: None,
                }),
            },
        ];
        for (row, line) in colors.chunks(modules).enumerate() {
            let mut col = 0;
            while col < modules {
                let run = line[col..]
                    .iter()
                    .take_while(|c| **c == qrcode::Color::Dark)
                    .count();
                if run > 0 {
                    ops.push(Op::DrawRectangle {
                        rectangle: Rect {
                            x: Pt(col as f32),
                            y: Pt((modules - 1 - row) as f32),
                            width: Pt(run as f32),
                            height: Pt(1.0),
                            mode: Some(PaintMode::Fill),
                            winding_order: Some(WindingOrder::NonZero),
                        },
                    });
                }
                col += run.max(1);
            }
        }
        ops.push(Op::RestoreGraphicsState);
        self.ops().extend(ops);
        Ok(())
    }
}

/// Fills the `{placeholders}` of a template text.
fn fill(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The certificate as PDF bytes.
pub fn render(cert: &Printed, lang: Lang) -> AppResult<Vec<u8>> {
    let layout = layout()?;
    let fonts = fonts()?;
    let site = cert
        .verify_url
        .split_once('?')
        .map_or(cert.verify_url.as_str(), |(page, _)| page);
    let values: BTreeMap<&str, String> = BTreeMap::from([
        ("number", cert.number.clone()),
        ("provider_name", cert.provider_name.clone()),
        ("kvk_number", cert.kvk_number.clone()),
        ("scheme", cert.scheme.to_uppercase()),
        ("scheme_name", lang.pick(&cert.scheme_name).to_owned()),
        ("norm_version", cert.norm_version.clone()),
        ("norm_hash", cert.norm_hash.clone()),
        ("valid_from", lang.date(cert.valid_from)),
        ("valid_until", lang.date(cert.valid_until)),
        ("issued_on", lang.date(cert.issued_on)),
        ("location_count", cert.locations.len().to_string()),
        ("verify_site", site.to_owned()),
    ]);

    let title = match lang {
        Lang::Nl => "Certificaat",
        Lang::En => "Certificate",
    };
    let mut doc = PdfDocument::new(&format!("{title} {}", cert.number));
    let mut canvas = Canvas {
        spec: &layout.page,
        fonts,
        regular: doc.add_font(&fonts.regular),
        bold: doc.add_font(&fonts.bold),
        pages: Vec::new(),
        y: layout.page.height_mm - layout.page.margin_mm,
    };
    let left = layout.page.margin_mm;
    let full = layout.page.width_mm - 2.0 * layout.page.margin_mm;
    for block in &layout.block {
        let style = layout.style.get(&block.style).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "templates/certificate.toml: no style {:?}",
                block.style
            ))
        })?;
        canvas.y -= style.space_before_mm;
        let text = block
            .text
            .as_ref()
            .map(|t| fill(lang.pick(t), &values))
            .unwrap_or_default();
        match block.style.as_str() {
            "field" => {
                let label = block.label.as_ref().map_or("", |l| lang.pick(l));
                let value = fill(block.value.as_deref().unwrap_or_default(), &values);
                let indent = style.label_width_mm.unwrap_or(50.0);
                let top = canvas.y;
                canvas.paragraph(left, label, style, indent - 2.0);
                let after_label = canvas.y;
                canvas.y = top;
                let bold = Style {
                    bold: true,
                    ..*style
                };
                canvas.paragraph(left + indent, &value, &bold, full - indent);
                canvas.y = canvas.y.min(after_label);
            }
            "locations" => {
                for location in &cert.locations {
                    canvas.paragraph(left, &location.address(), style, full);
                    canvas.y -= style.space_after_mm;
                }
                continue;
            }
            "qr" => {
                let size = block.size_mm.unwrap_or(40.0);
                canvas.room(size);
                let top = canvas.y;
                canvas.qr(left, &cert.verify_url, size)?;
                canvas.paragraph(left + size + 6.0, &text, style, full - size - 6.0);
                canvas.y = canvas.y.min(top - size);
            }
            _ => canvas.paragraph(left, &text, style, full),
        }
        canvas.y -= style.space_after_mm;
    }

    let (width, height) = (Mm(layout.page.width_mm), Mm(layout.page.height_mm));
    let pages = canvas
        .pages
        .into_iter()
        .map(|ops| PdfPage::new(width, height, ops))
        .collect();
    let unpacked = PdfSaveOptions {
        optimize: false,
        ..PdfSaveOptions::default()
    };
    let mut pdf = doc
        .with_pages(pages)
        .to_lopdf_document(&unpacked, &mut Vec::new());
    compress(&mut pdf)?;
    let mut bytes = Vec::new();
    pdf.save_to(&mut bytes).map_err(AppError::internal)?;
    Ok(bytes)
}

/// Deflates every stream that may be, at zlib's default level. (printpdf's own optimisation
/// uses the best level, which made a certificate take three times as long for a file a few per
/// cent smaller.)
fn compress(pdf: &mut lopdf::Document) -> AppResult<()> {
    for object in pdf.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.has(b"Filter") {
            continue;
        }
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
        encoder
            .write_all(&stream.content)
            .map_err(AppError::internal)?;
        let deflated = encoder.finish().map_err(AppError::internal)?;
        if deflated.len() < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(deflated);
        }
    }
    Ok(())
}
