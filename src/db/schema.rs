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

diesel::joinable!(locations -> providers (provider_id));
diesel::joinable!(api_keys -> agencies (agency_id));

diesel::allow_tables_to_appear_in_same_query!(
    providers,
    locations,
    inspection_bodies,
    agencies,
    users,
    api_keys,
    settings,
);
