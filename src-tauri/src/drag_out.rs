//! Objects dragged out of the window onto a file manager download where they are dropped.
//!
//! The objects are not on disk yet, so the drag cannot offer a list of files. It speaks X's
//! Direct Save protocol instead (XDS, `XdndDirectSave0`, which GTK and Qt file managers take):
//! the drag names a file; the file manager answers with where in the folder dropped on it
//! wants it; Strata says it will save it, and the objects download into that folder as
//! transfer jobs, resumable and shown in the transfers panel. Only the file manager names the
//! folder: the window never passes a path.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use gtk::gdk;
use gtk::prelude::*;
use strata_core::Engine;
use strata_core::error::{Error, ErrorCode};
use strata_core::remote::RemotePath;
use tauri::{AppHandle, Manager};

/// The XDS target and property, and the type the property holds.
const XDS: &str = "XdndDirectSave0";

/// Starts a drag of `source` (an object, or a folder: a key ending in `/`) from the pointer,
/// while the button that began it is still held.
pub fn start(app: &AppHandle, source: RemotePath) -> Result<(), Error> {
    let engine = app.state::<Engine>().inner().clone();
    let name = source
        .key
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let dragged = Dragged {
        engine,
        sources: vec![source],
        name,
    };
    app.run_on_main_thread(move || begin(dragged)).map_err(|e| {
        Error::new(
            ErrorCode::Unsupported,
            format!("Dragging out could not start: {e}."),
            "Use Download or Download to… instead.",
        )
    })
}

/// What the drag under way carries: set as it starts, read when a file manager takes it.
struct Dragged {
    engine: Engine,
    sources: Vec<RemotePath>,
    name: String,
}

thread_local! {
    /// The drag's source: one widget of its own, off screen, made once on GTK's thread (a
    /// toplevel lives until destroyed, so one per drag would pile up). The webview's drag
    /// handlers stay WebKit's.
    static SOURCE: (gtk::Invisible, Rc<RefCell<Option<Dragged>>>) = source_widget();
}

fn source_widget() -> (gtk::Invisible, Rc<RefCell<Option<Dragged>>>) {
    let source = gtk::Invisible::new();
    // A drag starts only from a realized widget.
    source.show();
    let dragged: Rc<RefCell<Option<Dragged>>> = Rc::default();
    let xds = gdk::Atom::intern(XDS);
    let text = gdk::Atom::intern("text/plain");
    let offered = dragged.clone();
    source.connect_drag_begin(move |_, context| {
        if let Some(dragged) = offered.borrow().as_ref() {
            let name = gdk::ChangeData::UChars(dragged.name.as_bytes());
            gdk::property_change(
                &context.source_window(),
                &xds,
                &text,
                8,
                gdk::PropMode::Replace,
                name,
            );
        }
    });
    let taken = dragged.clone();
    source.connect_drag_data_get(move |_, context, data, _, _| {
        // Read whatever type the file manager wrote it as (text/plain, STRING, UTF8_STRING).
        let folder = gdk::property_get(&context.source_window(), &xds, &gdk::ATOM_NONE, 0, 4096, 0)
            .and_then(|(_, _, uri)| folder_of(&String::from_utf8_lossy(&uri)));
        let (Some(folder), Some(dragged)) = (folder, taken.borrow().as_ref().map(|d| (d.engine.clone(), d.sources.clone())))
        else {
            // "E": the place the file manager named is not a local folder.
            data.set(&data.target(), 8, b"E");
            return;
        };
        let (engine, sources) = dragged;
        tauri::async_runtime::spawn(async move {
            if let Err(err) = engine.download_start(&sources, &folder).await {
                tracing::warn!(folder = %folder.display(), error = %err.message, "dragged out, not downloaded");
            }
        });
        data.set(&data.target(), 8, b"S");
    });
    let ended = dragged.clone();
    source.connect_drag_end(move |_, _| *ended.borrow_mut() = None);
    (source, dragged)
}

fn begin(dragged: Dragged) {
    SOURCE.with(|(source, under_way)| {
        *under_way.borrow_mut() = Some(dragged);
        let targets =
            gtk::TargetList::new(&[gtk::TargetEntry::new(XDS, gtk::TargetFlags::OTHER_APP, 0)]);
        if source
            .drag_begin_with_coordinates(&targets, gdk::DragAction::COPY, 1, None, -1, -1)
            .is_none()
        {
            tracing::warn!("the drag out of the window could not start");
        }
    });
}

/// The local folder of the file an XDS target named (`file://HOST/path/name`, or without the
/// host), whose name Strata does not take: each object keeps its own.
fn folder_of(uri: &str) -> Option<PathBuf> {
    let rest = uri
        .trim_end_matches(['\0', '\r', '\n'])
        .strip_prefix("file://")?;
    let path = &rest[rest.find('/')?..];
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    PathBuf::from(decoded.as_ref()).parent().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_the_named_files_with_or_without_a_host() {
        assert_eq!(
            folder_of("file:///home/ana/Desktop/a.jpg"),
            Some(PathBuf::from("/home/ana/Desktop"))
        );
        assert_eq!(
            folder_of("file://studio/home/ana/D%C3%BCsseldorf%20raw/a.jpg\0"),
            Some(PathBuf::from("/home/ana/Düsseldorf raw"))
        );
        assert_eq!(folder_of("http://example.com/a.jpg"), None);
        assert_eq!(folder_of("file:///home/ana/%FF.jpg"), None);
    }
}
