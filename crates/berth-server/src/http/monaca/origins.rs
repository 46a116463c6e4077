//! Which web origins may call a backend's app API from a browser: the backend's `allowedOrigins`
//! setting (empty: any origin, as Monaca allowed, so that `file://` and `http://localhost` web views
//! work). A refused origin gets no `Access-Control-Allow-Origin`, so the browser keeps the answer from
//! the page; the call itself is answered as usual (CORS protects readers, not the server).

use axum::http::HeaderValue;
use axum::http::request::Parts;
use berth_core::Berth;
use tower_http::cors::AllowOrigin;

pub fn allowed_origins(berth: Berth) -> AllowOrigin {
    AllowOrigin::async_predicate(move |origin: HeaderValue, parts: &Parts| {
        let berth = berth.clone();
        let backend = parts
            .uri
            .path()
            .strip_prefix("/json-rpc/")
            .and_then(|id| uuid::Uuid::parse_str(id).ok());
        async move {
            let (Some(backend), Ok(origin)) = (backend, origin.to_str()) else {
                // No backend in the path: the call is refused anyway, let the page read why.
                return backend.is_none();
            };
            match berth.app_settings(backend).await {
                Ok(settings) => settings.allows_origin(origin),
                // An unknown backend or unreachable storage: the answer is an error either way.
                Err(_) => true,
            }
        }
    })
}
