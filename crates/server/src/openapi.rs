//! `/openapi.json`: the OpenAPI 3 description of `/api/v1`, generated from the handlers'
//! annotations and the wire types, so it cannot drift from the code.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "civicgrid", description = "Command platform of a street office (街道): cases, dispatch, promises, petitions."),
    paths(
        crate::api::health, crate::api::login, crate::api::logout, crate::api::me,
        crate::api::users::list, crate::api::users::set_password, crate::api::users::disable, crate::api::users::enable,
        crate::api::users::revoke, crate::api::users::change_own,
        crate::api::cases::create, crate::api::cases::get, crate::api::cases::list, crate::api::cases::act,
        crate::api::cases::reporter, crate::api::cases::recommendations, crate::api::cases::notices, crate::api::cases::merge,
        crate::api::reference::categories, crate::api::reference::stations, crate::api::reference::grids,
        crate::api::reference::responders, crate::api::reference::basemap, crate::api::reference::apply_moveup, crate::api::reference::set_shift, crate::api::reference::moveups, crate::api::reference::position, crate::api::reference::status,
        crate::api::stats::summary, crate::api::whatif::whatif, crate::stream::stream, crate::api::notifications, crate::api::stats::daily,
        crate::api::cases::upload, crate::api::cases::attachments, crate::api::cases::attachment, crate::api::map_settings,
        crate::api::residents::otp_request, crate::api::residents::otp_verify, crate::api::residents::nearby, crate::api::residents::follow,
        crate::api::community::articles, crate::api::community::publish, crate::api::community::edit, crate::api::community::posts,
        crate::api::community::create_post, crate::api::community::matches, crate::api::community::done, crate::api::community::report,
        crate::api::community::moderation, crate::api::community::moderate, crate::api::community::activities,
        crate::api::community::create_activity, crate::api::community::signup, crate::api::community::cancel,
        crate::api::community::checkin, crate::api::community::qr,
        crate::api::community::set_published, crate::api::community::respond, crate::api::community::responses,
        crate::api::community::roster,
        crate::api::community::upload_image, crate::api::community::image,
        crate::api::petitions::create, crate::api::petitions::list, crate::api::petitions::get, crate::api::petitions::act,
        crate::api::petitions::petitioners, crate::api::petitions::mine, crate::api::petitions::rate, crate::api::petitions::staff,
        crate::api::petitions::query, crate::api::petitions::rate_by_code,
        crate::api::deliberation::list_communities, crate::api::deliberation::set_day, crate::api::deliberation::generate,
        crate::api::deliberation::meetings, crate::api::deliberation::meeting, crate::api::deliberation::minutes,
        crate::api::deliberation::topics, crate::api::deliberation::raise, crate::api::deliberation::topic,
        crate::api::deliberation::act_topic, crate::api::deliberation::resolutions, crate::api::deliberation::add_part,
        crate::api::deliberation::resolution, crate::api::deliberation::act_resolution, crate::api::deliberation::board, crate::api::deliberation::staff,
        crate::api::volunteers::teams, crate::api::volunteers::create_team, crate::api::volunteers::team,
        crate::api::volunteers::add_member, crate::api::volunteers::create_shift, crate::api::volunteers::add_minutes,
        crate::api::volunteers::checkout, crate::api::volunteers::summary, crate::api::volunteers::certificate_of,
        crate::api::volunteers::mine, crate::api::volunteers::add_visit, crate::api::volunteers::my_certificate,
        crate::api::petitions::upload, crate::api::petitions::files, crate::api::petitions::file,
        crate::api::stats::indicators, crate::api::stats::petitions, crate::api::stats::mediation,
        crate::api::mediations::create, crate::api::mediations::from_case, crate::api::mediations::list, crate::api::mediations::get,
        crate::api::mediations::act, crate::api::mediations::agreement, crate::api::mediations::judicial_application,
        crate::api::food::checklist, crate::api::food::list, crate::api::food::create, crate::api::food::import, crate::api::food::get,
        crate::api::food::inspect, crate::api::food::rectify, crate::api::food::upload, crate::api::food::file, crate::api::food::draw,
        crate::api::food::draws, crate::api::food::public, crate::api::food::open_data, crate::api::food::stats,
        crate::api::exports::cases_csv, crate::api::exports::cases_xlsx, crate::api::exports::monthly,
        crate::api::breakdown::breakdown, crate::api::breakdown::cases, crate::api::breakdown::stations, crate::api::stats::year_on_year_panel, crate::api::exports::breakdown_csv, crate::api::exports::breakdown_xlsx, crate::api::exports::indicators_csv, crate::api::exports::indicators_xlsx,
        crate::api::gas::devices, crate::api::gas::device, crate::api::gas::import, crate::api::gas::alarms,
        crate::api::gas::acknowledge, crate::api::gas::clear, crate::api::gas::summary, crate::api::gas::mine,
        crate::api::mediations::signature, crate::api::mediations::upload, crate::api::mediations::files, crate::api::mediations::file,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
