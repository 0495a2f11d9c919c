/*
 * First names for PERSON detection without NER: common given names across
 * the EU languages eugate serves, written for this project (no download).
 * A name only counts next to a capitalized surname or after a trigger; it
 * is evidence, not proof. Sorted for binary search (bytewise, UTF-8).
 */
#include <stddef.h>
#include <string.h>

#include "policy/pii_names.h"

static const char *const names[] = {
	"Aaron", "Adam", "Adrian", "Adrien", "Agnieszka", "Ahmed", "Aitor",
	"Aleksandra", "Alessandra", "Alessandro", "Alessia", "Alexander",
	"Alexandra", "Alexandre", "Ali", "Alice", "Alicia", "Alicja", "Alina",
	"Amelia", "Amelie", "Amélie", "Ana", "Anders", "Andrea", "Andreas",
	"Andrzej", "Angela", "Anita", "Anja", "Anke", "Anna", "Anne",
	"Annika", "Antoine", "Anton", "Antonio", "Arne", "Astrid", "Aurélie",
	"Ava", "Axel", "Barbara", "Bart", "Bastian", "Beata", "Beatriz",
	"Benedikt", "Benjamin", "Bernard", "Bernd", "Birgit", "Björn", "Bram",
	"Brigitte", "Camille", "Carina", "Carla", "Carlos", "Carmen",
	"Caroline", "Catherine", "Cecilia", "Charlie", "Charlotte", "Chiara",
	"Chloe", "Christian", "Christina", "Christine", "Christoph",
	"Christophe", "Claire", "Clara", "Claudia", "Claudio", "Cristina",
	"Dagmar", "Dan", "Daniel", "Daniela", "Daniele", "David", "Davide",
	"Dennis", "Diana", "Diego", "Dirk", "Dominik", "Dorota", "Dries",
	"Edyta", "Elena", "Elias", "Elif", "Elin", "Elisa", "Elisabeth",
	"Elise", "Ella", "Elsa", "Emil", "Emilia", "Emilie", "Emilio",
	"Emily", "Emma", "Enrico", "Erik", "Ethan", "Eva", "Ewa", "Fabian",
	"Fabio", "Fatima", "Federica", "Federico", "Felix", "Femke",
	"Fernando", "Filip", "Finn", "Florian", "Francesca", "Francesco",
	"Francisco", "Franziska", "François", "Frederik", "Frédéric",
	"Gabriel", "Gabriele", "Georg", "George", "Gerhard", "Giacomo",
	"Gianluca", "Giorgia", "Giovanni", "Giulia", "Giuseppe", "Grace",
	"Grzegorz", "Guillaume", "Gunnar", "Hanna", "Hannah", "Hannes",
	"Hans", "Harald", "Harry", "Heike", "Heinz", "Helena", "Helmut",
	"Hendrik", "Henrik", "Hugo", "Ida", "Ines", "Ingrid", "Inès", "Irene",
	"Isabel", "Isabella", "Isabelle", "Isla", "Jacek", "Jack", "Jakob",
	"Jakub", "James", "Jan", "Jana", "Jane", "Jannik", "Javier", "Jean",
	"Jennifer", "Jens", "Jeroen", "Jesper", "Jesús", "Joanna", "Johan",
	"Johann", "Johanna", "Johannes", "John", "Jonas", "Jordi", "Jorge",
	"Josef", "Joseph", "José", "Juan", "Judith", "Julia", "Julian",
	"Julie", "Julien", "Jurgen", "Justyna", "Jörg", "Jürgen", "Kaja",
	"Karin", "Karl", "Karolina", "Kasper", "Katarzyna", "Katharina",
	"Kathrin", "Kevin", "Kim", "Klaus", "Kristina", "Krzysztof", "Lars",
	"Laura", "Laurent", "Lea", "Lena", "Leon", "Leonie", "Liam", "Lieke",
	"Lily", "Lina", "Linda", "Lisa", "Lorenzo", "Louis", "Luca", "Lucas",
	"Lucia", "Lucy", "Lucía", "Luis", "Luisa", "Luka", "Lukas", "Léa",
	"Magdalena", "Maja", "Malgorzata", "Manon", "Manuel", "Marc",
	"Marcel", "Marco", "Marek", "Margaret", "Maria", "Marie", "Marina",
	"Mario", "Marion", "Mark", "Markus", "Marta", "Martin", "Martina",
	"Mary", "María", "Mateusz", "Mathias", "Mathieu", "Matteo",
	"Matthias", "Mattia", "Max", "Maximilian", "Melanie", "Mia",
	"Michael", "Michał", "Michel", "Michele", "Miguel", "Mikael",
	"Mikkel", "Milan", "Mirjam", "Mohamed", "Monika", "Nadine", "Natalia",
	"Nicolas", "Niklas", "Nils", "Nina", "Noah", "Nora", "Olaf", "Olga",
	"Oliver", "Olivia", "Olivier", "Oscar", "Oskar", "Pablo", "Paola",
	"Patricia", "Patrick", "Paul", "Paula", "Pauline", "Pedro", "Per",
	"Peter", "Petra", "Philipp", "Philippe", "Pierre", "Piet", "Pieter",
	"Piotr", "Rafael", "Rafał", "Raquel", "Rebecca", "Robert", "Roberta",
	"Roberto", "Rosa", "Ruben", "Ruby", "Sabine", "Sam", "Samuel",
	"Sander", "Sandra", "Sara", "Sarah", "Sebastian", "Sebastien",
	"Sergio", "Silvia", "Simon", "Simone", "Sofia", "Sofie", "Sophia",
	"Sophie", "Stefan", "Stefano", "Stephan", "Stéphane", "Susanne",
	"Sven", "Sylvie", "Sébastien", "Thomas", "Thorsten", "Tim", "Tobias",
	"Tom", "Tomasz", "Torben", "Ulrich", "Ursula", "Valentina", "Valérie",
	"Vera", "Veronika", "Victor", "Vincent", "Wiktoria", "Willem",
	"Wojciech", "Wolfgang", "Youssef", "Yvonne", "Zofia", "Zuzanna",
};

static int
cmp(const char *w, size_t n, const char *name)
{
	size_t nl = strlen(name);
	int c = memcmp(w, name, n < nl ? n : nl);

	if (c != 0)
		return c;
	return n < nl ? -1 : n > nl ? 1 : 0;
}

int
pii_is_first_name(const char *w, size_t n)
{
	size_t lo = 0, hi = sizeof(names) / sizeof(names[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp(w, n, names[mid]);

		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

size_t
pii_first_name_count(void)
{
	return sizeof(names) / sizeof(names[0]);
}

const char *
pii_first_name_at(size_t i)
{
	return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}
