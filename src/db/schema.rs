//! The portable schema: one description for both backends, written by hand from the migrations
//! (types limited to what diesel's `MultiConnection` carries on every backend).

diesel::table! {
    providers (id) {
        id -> Text,
        kvk_number -> Text,
        name -> Text,
        contact_email -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    locations (id) {
        id -> Text,
        provider_id -> Text,
        street -> Text,
        house_number -> Text,
        postcode -> Text,
        city -> Text,
        bag_id -> Nullable<Text>,
        housing_form -> Text,
        municipal_designation -> Nullable<Text>,
        permit_applied_on -> Nullable<Date>,
        max_beds -> Integer,
        responsibility -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inspection_bodies (id) {
        id -> Text,
        name -> Text,
        accreditation_number -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    agencies (id) {
        id -> Text,
        kvk_number -> Text,
        name -> Text,
        contact_email -> Text,
        abu_member -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        organisation_id -> Nullable<Text>,
        password_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        agency_id -> Text,
        prefix -> Text,
        secret_hash -> Binary,
        label -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    inspections (id) {
        id -> Text,
        provider_id -> Text,
        location_id -> Nullable<Text>,
        inspection_body_id -> Text,
        inspector_id -> Text,
        kind -> Text,
        scheduled_for -> Date,
        status -> Text,
        scheme -> Text,
        norm_version -> Nullable<Text>,
        norm_hash -> Nullable<Text>,
        inspected_on -> Nullable<Date>,
        started_at -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        result -> Nullable<Text>,
        verdict -> Nullable<Text>,
        version -> Integer,
        corrects_id -> Nullable<Text>,
        correction_reason -> Nullable<Text>,
        reinspection_of -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    answers (inspection_id, question) {
        inspection_id -> Text,
        question -> Text,
        value -> Text,
        set_by -> Text,
        device_time -> Nullable<Timestamp>,
        server_time -> Timestamp,
        set_in_version -> Integer,
    }
}

diesel::table! {
    idempotency_keys (scope, idempotency_key) {
        scope -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    photos (id) {
        id -> Text,
        inspection_id -> Nullable<Text>,
        finding_id -> Nullable<Text>,
        question -> Nullable<Text>,
        content_type -> Text,
        byte_size -> Integer,
        sha256 -> Text,
        data -> Binary,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    findings (id) {
        id -> Text,
        inspection_id -> Text,
        provider_id -> Text,
        location_id -> Nullable<Text>,
        item_id -> Text,
        title -> Text,
        article -> Text,
        severity -> Text,
        explanation -> Text,
        closable_by -> Text,
        found_on -> Date,
        due_on -> Date,
        status -> Text,
        closed_on -> Nullable<Date>,
        closed_by -> Nullable<Text>,
        closed_by_inspection_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    repairs (id) {
        id -> Text,
        finding_id -> Text,
        note -> Text,
        submitted_by -> Text,
        submitted_at -> Timestamp,
        decision -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        inspection_id -> Nullable<Text>,
        entity -> Text,
        entity_id -> Text,
        action -> Text,
        actor -> Text,
        at -> Timestamp,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        private_key -> Text,
        public_key -> Binary,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    certificates (id) {
        id -> Text,
        number -> Text,
        provider_id -> Text,
        kvk_number -> Text,
        provider_name -> Text,
        scheme -> Text,
        norm_version -> Text,
        norm_hash -> Text,
        locations -> Text,
        inspections -> Text,
        valid_from -> Date,
        valid_until -> Date,
        status -> Text,
        status_reason -> Nullable<Text>,
        status_changed_at -> Timestamp,
        kid -> Text,
        token -> Text,
        issued_by -> Text,
        issued_at -> Timestamp,
    }
}

diesel::table! {
    sequences (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::joinable!(locations -> providers (provider_id));
diesel::joinable!(certificates -> providers (provider_id));
diesel::joinable!(answers -> inspections (inspection_id));
diesel::joinable!(findings -> inspections (inspection_id));
diesel::joinable!(repairs -> findings (finding_id));
diesel::joinable!(api_keys -> agencies (agency_id));

diesel::allow_tables_to_appear_in_same_query!(
    providers,
    locations,
    inspection_bodies,
    agencies,
    users,
    api_keys,
    settings,
    inspections,
    answers,
    idempotency_keys,
    photos,
    findings,
    repairs,
    audit_log,
    signing_keys,
    certificates,
    sequences,
);
