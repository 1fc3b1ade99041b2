//! The spec's numbered tables (section 7). Each keeps numbers it does not list as
//! `Unknown(n)`, so a newer peer never breaks decoding (spec notes D15).

protocol_enum! {
    /// Element category (spec 7.2), in browse entries, browse filters and metadata.
    pub enum ElementCategory {
        /// The model's root.
        RootElement = 0, "Root Element";
        /// A group of elements.
        ElementGroup = 1, "Element Group";
        /// A data point.
        DataPoint = 2, "Data Point";
        /// A timer.
        Timer = 3, "Timer";
        /// An execution track.
        ExecutionTrack = 4, "Execution Track";
        /// An execution pipeline.
        ExecutionPipeline = 5, "Execution Pipeline";
        /// A device.
        Device = 6, "Device";
        /// A sub-device.
        SubDevice = 7, "Sub Device";
        /// A group of devices.
        DeviceGroup = 8, "Device Group";
        /// A group of data points.
        DataPointGroup = 9, "Data Point Group";
        /// A transaction.
        Transaction = 10, "Transaction";
        /// A microservice.
        Microservice = 11, "Microservice";
        /// An AI element.
        Ai = 12, "AI";
        /// A data storage.
        DataStorage = 13, "Data Storage";
        /// An external interface.
        ExternalInterface = 14, "External Interface";
        /// A special-purpose element.
        SpecialPurpose = 15, "Special Purpose";
    }
}

protocol_enum! {
    /// Server information ids (spec 7.3), asked for by server_information.
    pub enum ServerInfo {
        /// The Xentara version.
        Version = 0, "Version";
        /// The account the server runs under.
        UserName = 1, "User Name";
        /// The path of the active model file.
        ModelFilePath = 2, "Model File Path";
    }
}

protocol_enum! {
    /// Metadata ids (spec 7.4), asked for by meta_data.
    pub enum MetaDataId {
        /// The element's primary key.
        PrimaryKey = 0, "Primary Key";
        /// The element's category.
        ElementCategory = 1, "Element Category";
        /// The element's attributes.
        AttributeList = 2, "Attribute List";
        /// Whether the element has children.
        HasChildren = 3, "Has Children";
    }
}

protocol_enum! {
    /// Standard attribute ids (spec 7.5); other attributes are named by UUID.
    pub enum Attribute {
        /// The primary key.
        PrimaryKey = 0, "Primary Key";
        /// The name.
        Name = 1, "Name";
        /// The UUID.
        Uuid = 2, "UUID";
        /// The type.
        Type = 3, "Type";
        /// The category.
        Category = 4, "Category";
        /// When the value was measured at its source.
        SourceTime = 5, "Source Time";
        /// When the value was last updated.
        UpdateTime = 6, "Update Time";
        /// When the value last changed.
        ChangeTime = 7, "Change Time";
        /// When the value was last written.
        WriteTime = 8, "Write Time";
        /// The quality.
        Quality = 9, "Quality";
        /// The device state.
        DeviceState = 10, "Device State";
        /// The value.
        Value = 11, "Value";
        /// The error.
        Error = 12, "Error";
        /// The last write error.
        WriteError = 13, "Write Error";
    }
}

protocol_enum! {
    /// Quality of a value (spec 7.6).
    pub enum Quality {
        /// Good.
        Good = 0, "Good";
        /// Acceptable.
        Acceptable = 1, "Acceptable";
        /// Unreliable.
        Unreliable = 2, "Unreliable";
        /// Bad.
        Bad = 3, "Bad";
    }
}

protocol_enum! {
    /// Operational stage (spec 7.7), answered by get_stage. 4 and 5 are likely but
    /// unconfirmed (spec notes D15).
    pub enum Stage {
        /// Starting up.
        StartUp = 0, "Start Up";
        /// Before operation.
        PreOperational = 1, "Pre Operational";
        /// Operating.
        Operational = 2, "Operational";
        /// After operation.
        PostOperational = 3, "Post Operational";
        /// Shutting down (unconfirmed number).
        Shutdown = 4, "Shutdown";
        /// Suspended (unconfirmed number).
        Suspended = 5, "Suspended";
    }
}

protocol_enum! {
    /// Attribute access (spec 7.8, from the vendor client).
    pub enum Access {
        /// Read only.
        ReadOnly = 0, "read only";
        /// Write only.
        WriteOnly = 1, "write only";
        /// Read and write.
        ReadWrite = 2, "read and write";
    }
}

protocol_enum! {
    /// Attribute data type (spec 7.9, from the vendor client).
    pub enum DataType {
        /// bool
        Boolean = 0, "Boolean";
        /// i8
        SignedInteger8 = 1, "SignedInteger8";
        /// i16
        SignedInteger16 = 2, "SignedInteger16";
        /// i32
        SignedInteger32 = 3, "SignedInteger32";
        /// i64
        SignedInteger64 = 4, "SignedInteger64";
        /// u8
        UnsignedInteger8 = 5, "UnsignedInteger8";
        /// u16
        UnsignedInteger16 = 6, "UnsignedInteger16";
        /// u32
        UnsignedInteger32 = 7, "UnsignedInteger32";
        /// u64
        UnsignedInteger64 = 8, "UnsignedInteger64";
        /// f32
        Float32 = 9, "Float32";
        /// f64
        Float64 = 10, "Float64";
        /// A string.
        String = 11, "String";
        /// A wide string.
        WString = 12, "WString";
        /// A UTF-8 string.
        U8String = 13, "U8String";
        /// A UTF-16 string.
        U16String = 14, "U16String";
        /// A UTF-32 string.
        U32String = 15, "U32String";
        /// A time point.
        TimePoint = 16, "TimePoint";
        /// A UUID.
        Uuid = 17, "Uuid";
        /// A quality.
        Quality = 18, "Quality";
        /// An element category.
        ElementCategory = 19, "ElementCategory";
        /// An error code.
        ErrorCode = 20, "ErrorCode";
        /// A custom type.
        Custom = 21, "Custom";
        /// No value.
        None = 22, "None";
    }
}

/// The attribute UUIDs of the standard attributes that the vendor's client has built in
/// (its C++ client, shipped compiled in the public `xentara/xentara-sample-web-ui`); the
/// other standard attributes' UUIDs are not published.
const ATTRIBUTE_UUIDS: [(Attribute, uuid::Uuid); 4] = [
    (
        Attribute::PrimaryKey,
        uuid::Uuid::from_u128(0xed22790e_261b_4a23_bfcc_6175a5571b33),
    ),
    (
        Attribute::ChangeTime,
        uuid::Uuid::from_u128(0x54f09787_dcbe_4fbf_9a02_524e469eea47),
    ),
    (
        Attribute::Quality,
        uuid::Uuid::from_u128(0xd3c4b709_bccf_4665_9621_abfb5c6addce),
    ),
    (
        Attribute::Value,
        uuid::Uuid::from_u128(0x4aa0e4e0_521e_4599_a985_e454baa59f89),
    ),
];

impl Attribute {
    /// The attribute's UUID, for the four standard attributes whose UUID is known (primary
    /// key, change time, quality, value; from the vendor's client).
    pub fn uuid(&self) -> Option<uuid::Uuid> {
        ATTRIBUTE_UUIDS
            .iter()
            .find(|(a, _)| a == self)
            .map(|(_, u)| *u)
    }

    /// The standard attribute with this UUID, if it is one of the four known.
    pub fn from_uuid(uuid: &uuid::Uuid) -> Option<Attribute> {
        ATTRIBUTE_UUIDS
            .iter()
            .find(|(_, u)| u == uuid)
            .map(|(a, _)| *a)
    }
}
