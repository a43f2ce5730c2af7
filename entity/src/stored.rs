//! Text columns that hold one of a closed set of values, typed: [`stored_enum!`] declares the
//! Rust enum, its stored spelling, and the SeaORM value conversions. Reading a value outside
//! the set is an error naming the column and the value ([`UnknownValue`]), never a default.

/// A stored value no variant spells: the column (`table.column`, or the columns sharing the
/// enum) and what it held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValue {
    pub column: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} holds an unknown value {:?}", self.column, self.value)
    }
}

impl std::error::Error for UnknownValue {}

/// Declares a stored enum:
///
/// ```ignore
/// stored_enum! {
///     /// A review's decision.
///     pub enum Decision in "win_review"."decision" {
///         Approved = "approved",
///         Required = "required",
///     }
/// }
/// ```
///
/// or, for an enum several columns share, `pub enum Role in "users.role, enrollments.role" => {..}`;
/// gives `Decision::as_str`, `Decision::ALL`, `Display`, `FromStr` (failing with
/// [`UnknownValue`]) and the SeaORM column type (a string column; `.eq(Decision::Approved)`
/// works in filters).
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident in $table:literal . $column:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $crate::stored_enum! {
            $(#[$meta])*
            @column (concat!($table, ".", $column)) $vis enum $name {
                $( $(#[$vmeta])* $variant = $value ),+
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident in $columns:expr => {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $crate::stored_enum! {
            $(#[$meta])*
            @column ($columns) $vis enum $name {
                $( $(#[$vmeta])* $variant = $value ),+
            }
        }
    };
    (
        $(#[$meta:meta])*
        @column ($columns:expr) $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::sea_orm::DeriveValueType)]
        #[sea_orm(value_type = "String")]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::stored::UnknownValue;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($value => Ok($name::$variant),)+
                    _ => Err($crate::stored::UnknownValue {
                        column: $columns,
                        value: s.to_owned(),
                    }),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::stored_enum! {
        /// A test enum.
        pub enum Colour in "paint"."colour" {
            Red = "red",
            DarkBlue = "dark_blue",
        }
    }

    #[test]
    fn spells_parses_and_names_the_column_of_an_unknown_value() {
        assert_eq!(Colour::DarkBlue.as_str(), "dark_blue");
        assert_eq!("red".parse::<Colour>(), Ok(Colour::Red));
        let err = "green".parse::<Colour>().unwrap_err();
        assert_eq!(err.to_string(), r#"paint.colour holds an unknown value "green""#);
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::DarkBlue]);
        assert_eq!(sea_orm::Value::from(Colour::Red), sea_orm::Value::from("red"));
    }
}
